# syntax=docker/dockerfile:1
# Builds both programs: customergraph (the facade) and upstream-sim (the
# Tiquo simulator). The image runs the facade; override the entrypoint to run
# the simulator (docker-compose.yml does).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/customergraph . \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/upstream-sim ./cmd/upstream-sim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/customergraph"]
