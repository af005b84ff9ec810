package loaders

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"customergraph/internal/customer"
	"customergraph/internal/telemetry"
)

// The attributes of a batch span. Never a key: keys are identifiers,
// emails and phones among them.
const (
	attrLoader    = attribute.Key("customergraph.loader.name")
	attrBatchSize = attribute.Key("customergraph.loader.batch.size")
	attrHits      = attribute.Key("customergraph.loader.hits")
	attrMisses    = attribute.Key("customergraph.loader.misses")
	attrStale     = attribute.Key("customergraph.loader.stale")
	attrErrors    = attribute.Key("customergraph.loader.errors")
)

// startBatch starts the span of one batch of loader (byIdentifier,
// detailed or contacts) of size keys: "loader <name>". Call it only with
// a tracer.
func (s *Service) startBatch(ctx context.Context, loader string, size int) (context.Context, trace.Span) {
	return s.tracer.Start(ctx, "loader "+loader, trace.WithAttributes(attrLoader.String(loader), attrBatchSize.Int(size)))
}

// noteMisses records on the batch span in ctx how many of its keys the
// cache answered (hits: a fresh record, or a remembered "not found") and
// how many it did not (misses: read from the upstream, or shared with
// another request's read).
func noteMisses(ctx context.Context, size, misses int) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attrHits.Int(size-misses), attrMisses.Int(misses))
}

// endBatch ends a batch span with the records served stale and
// the keys that failed; a batch with a failed key has the status Error
// (error.type upstream).
func endBatch(span trace.Span, results []*dataloader.Result[*customer.Customer]) {
	if span.IsRecording() {
		var stale, failed int
		for _, r := range results {
			switch {
			case r == nil:
			case r.Error != nil:
				failed++
			case r.Data != nil && r.Data.StaleAge > 0:
				stale++
			}
		}
		span.SetAttributes(attrStale.Int(stale), attrErrors.Int(failed))
		if failed > 0 {
			telemetry.Fail(span, "upstream")
		}
	}
	span.End()
}
