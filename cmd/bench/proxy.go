package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

// serveProxyFlag is the hidden first argument that makes the bench binary
// the B-proxy baseline instead of the benchmark: bench re-executes itself
// with it, so the proxy is a process of its own with its own RSS.
const serveProxyFlag = "-serve-proxy"

// isProxyMode reports whether args ask for the B-proxy process.
func isProxyMode(args []string) bool {
	return len(args) > 0 && (args[0] == serveProxyFlag || args[0] == "-"+serveProxyFlag)
}

// runProxy parses the proxy's flags (-serve-proxy <listen> -proxy-target
// <url>) and serves until ctx is done.
func runProxy(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench -serve-proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("serve-proxy", "", "listen address, on loopback")
	target := fs.String("proxy-target", "", "base URL to proxy to, on loopback")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := checkLoopbackAddr(*listen); err != nil {
		return fmt.Errorf("-serve-proxy: %w", err)
	}
	if err := checkLoopbackURL(*target); err != nil {
		return fmt.Errorf("-proxy-target: %w", err)
	}
	u, _ := url.Parse(*target)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	return serveProxy(ctx, ln, u)
}

// serveProxy serves a bare httputil.ReverseProxy to target on ln until ctx
// is done. Its transport keeps up to 256 idle connections to the target so
// that the proxy, not its connection pool, is what B-proxy measures.
func serveProxy(ctx context.Context, ln net.Listener, target *url.URL) error {
	rp := httputil.NewSingleHostReverseProxy(target)
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: dialLoopbackOnly}
	rp.Transport = &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startProxy starts the B-proxy process (this executable with
// -serve-proxy) in front of target and waits until it accepts connections.
func startProxy(ctx context.Context, procs *supervisor, target string) (*child, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("find the bench executable for the proxy: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	c, err := procs.start("proxy", self, []string{serveProxyFlag, addr, "-proxy-target", target}, nil)
	if err != nil {
		return nil, "", err
	}
	if err := waitReady(ctx, c, tcpOpen(addr)); err != nil {
		_ = c.stop(killGrace)
		return nil, "", err
	}
	return c, "http://" + addr, nil
}
