package telemetry

import (
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Fail marks span as failed with errorType, a low-cardinality word or
// code (e.g. "timeout", "503", "NOT_FOUND"): the status Error with
// errorType as its description, and the error.type attribute. Never an
// error's text, which may carry what a customer is looked up by.
func Fail(span trace.Span, errorType string) {
	span.SetAttributes(semconv.ErrorTypeKey.String(errorType))
	span.SetStatus(codes.Error, errorType)
}
