// Package resolvers implements the GraphQL schema: thin resolvers that
// validate arguments, call the per-request loaders and map results.
package resolvers

//go:generate go tool gqlgen generate

// Resolver holds the resolvers' dependencies. It is built in server.go.
type Resolver struct{}
