package main

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// isLoopbackHost reports whether host (a name or an IP, without a port;
// IPv6 with or without brackets) is on loopback: 127.0.0.0/8, ::1 or
// localhost. No name is resolved: any other name is not loopback.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkLoopbackAddr returns an error unless addr (host:port) is on
// loopback.
func checkLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: want host:port", addr)
	}
	if !isLoopbackHost(host) {
		return fmt.Errorf("address %q is not on loopback (127.0.0.0/8, ::1, localhost): bench only runs against local processes", addr)
	}
	return nil
}

// checkLoopbackURL returns an error unless raw is an http URL whose host is
// on loopback.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("URL %q: want http://host:port", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("URL %q is not on loopback (127.0.0.0/8, ::1, localhost): bench only runs against local processes", raw)
	}
	return nil
}

// dialLoopbackOnly is a net.Dialer Control function: it refuses every
// connection whose resolved address is not a loopback IP, so no request of
// bench can leave the machine, whatever a URL or a redirect says.
func dialLoopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to dial %s: not a loopback address", address)
	}
	return nil
}
