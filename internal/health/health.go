// Package health is the client side of the programs' health endpoints:
// the -healthcheck mode with which a container runtime (whose images have
// no shell, curl or wget) asks a program whether its server answers.
package health

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Timeout bounds a Check as a whole.
const Timeout = 3 * time.Second

// Check asks url with a GET and returns nil if it answers 200 within
// Timeout, else an error that says why.
func Check(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	// A client of its own: no proxy from the environment, no keep-alive.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s answered %d", url, resp.StatusCode)
	}
	return nil
}

// Local returns the address to dial for a server listening on addr
// (host:port): the same, but for an unspecified host (":8080",
// "0.0.0.0:8080", "[::]:8080"), which is dialled on 127.0.0.1.
func Local(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("health check: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
