// Package cachetest finds or starts a real Redis for tests.
//
// Redis returns the address of a Redis server, the first of:
//
//  1. the address in CUSTOMERGRAPH_REDIS_ADDR (host:port), which must answer
//     PING, else the test fails;
//  2. 127.0.0.1:6379, if it answers PING;
//  3. a redis-server started on a free port for the test process, if the
//     redis-server binary is on PATH.
//
// If none is available, the test is skipped, or fails when
// CUSTOMERGRAPH_REQUIRE_REDIS or CI is set: CI must not pass silently
// without Redis.
//
// A package whose tests use Redis should stop the server it may start by
// calling Main from TestMain:
//
//	func TestMain(m *testing.M) { cachetest.Main(m) }
//
// StartServer starts a private redis-server, which a test may stop and
// start again, and StartProxy puts a fault-injecting TCP proxy in front of
// one: tests of Redis failures use these, never the shared server.
//
// StartCluster starts a Redis Cluster of private redis-server processes
// whose nodes a test may kill and restart, and SharedCluster returns one
// cluster shared by the tests of a process, which Main stops.
//
// On Linux the server is also killed when the test process dies.
package cachetest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Environment variables read by this package.
const (
	// EnvAddr names the variable holding the address of the Redis to use.
	EnvAddr = "CUSTOMERGRAPH_REDIS_ADDR"
	// EnvRequire names the variable that, when set and not empty, makes
	// tests fail instead of skipping when no Redis is available. CI has the
	// same effect.
	EnvRequire = "CUSTOMERGRAPH_REQUIRE_REDIS"
)

// defaultAddr is tried when EnvAddr is unset.
const defaultAddr = "127.0.0.1:6379"

// startTimeout bounds the wait for a started redis-server to answer PING.
const startTimeout = 10 * time.Second

var shared struct {
	once   sync.Once
	addr   string   // the Redis to use, or ""
	reason string   // why there is none, when addr is ""
	err    error    // a Redis was expected but does not work
	proc   *process // the redis-server started by this package, if any
}

// Redis returns the address (host:port) of a Redis server for t, found or
// started once per test process as the package documentation describes. It
// skips or fails t when there is none. Tests sharing the server must keep
// apart with their own keys, for example with Namespace; none of them may
// flush the database.
func Redis(t testing.TB) string {
	t.Helper()
	shared.once.Do(findShared)
	if shared.err != nil {
		t.Fatalf("cachetest: %v", shared.err)
	}
	if shared.addr == "" {
		unavailable(t, shared.reason)
	}
	return shared.addr
}

// Client returns a go-redis client connected to Redis(t), closed when t
// ends. Its options are go-redis defaults; it is meant for setting up and
// inspecting data, not for testing client tuning.
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	c := NewClient(Redis(t))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// NewClient returns a go-redis client for addr with go-redis defaults,
// except that it sends no command on connect besides the handshake. The
// caller closes it.
func NewClient(addr string) redis.UniversalClient {
	return redis.NewClient(&redis.Options{
		Addr:                     addr,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

// Namespace returns a cache namespace unique to this call: t's name, made
// safe, and random hex. Tests and packages running in parallel against one
// Redis do not collide.
func Namespace(t testing.TB) string {
	name := []byte(t.Name())
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	for i, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			name[i] = '_'
		}
	}
	return string(name) + "-" + randomHex(8)
}

// Main runs the tests of m, stops the redis-server that Redis may have
// started and the cluster SharedCluster may have started, and exits with
// the tests' result. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run runs the tests of m, stops the redis-server that Redis may have
// started and the cluster SharedCluster may have started, and returns the
// tests' exit code: Main for a TestMain that has more to check before it
// exits.
func Run(m *testing.M) int {
	code := m.Run()
	if shared.proc != nil {
		shared.proc.stop()
	}
	if sharedCluster.c != nil {
		sharedCluster.c.stop()
	}
	return code
}

// Required reports whether a missing Redis must fail tests rather than skip
// them: EnvRequire or CI is set.
func Required() bool {
	return os.Getenv(EnvRequire) != "" || os.Getenv("CI") != ""
}

func unavailable(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("cachetest: Redis is required (%s or CI is set) but %s", EnvRequire, reason)
	}
	t.Skipf("cachetest: skipping, %s (set %s, run Redis on %s or install redis-server)", reason, EnvAddr, defaultAddr)
}

func findShared() {
	if addr := os.Getenv(EnvAddr); addr != "" {
		if err := ping(addr, 2*time.Second); err != nil {
			shared.err = fmt.Errorf("%s=%s does not answer PING: %v", EnvAddr, addr, err)
			return
		}
		shared.addr = addr
		return
	}
	if ping(defaultAddr, 250*time.Millisecond) == nil {
		shared.addr = defaultAddr
		return
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		shared.reason = fmt.Sprintf("%s is unset, nothing answers PING on %s and there is no redis-server on PATH", EnvAddr, defaultAddr)
		return
	}
	dir, err := os.MkdirTemp("", "cachetest-redis-")
	if err != nil {
		shared.err = err
		return
	}
	p, err := startFree(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		shared.err = err
		return
	}
	p.dir = dir
	shared.proc, shared.addr = p, p.addr
}

// Server is a redis-server process started by StartServer.
type Server struct {
	// Addr is the server's address, 127.0.0.1:Port.
	Addr string
	// Port is the server's TCP port.
	Port int

	p *process
}

// StartServer starts a redis-server of t's own on 127.0.0.1:port, or on a
// free port if port is 0, and waits until it answers PING. The server is
// stopped when t ends. Starting a server again on the port of a stopped one
// simulates a Redis restart. StartServer skips t, or fails it when Required,
// if there is no redis-server on PATH.
func StartServer(t testing.TB, port int) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(t, "there is no redis-server on PATH")
	}
	var (
		p   *process
		err error
	)
	if port == 0 {
		p, err = startFree(t.TempDir())
	} else {
		p, err = start(port, t.TempDir())
	}
	if err != nil {
		t.Fatalf("cachetest: %v", err)
	}
	t.Cleanup(p.stop)
	return &Server{Addr: p.addr, Port: p.port, p: p}
}

// Stop kills the server, as a crash would, and waits for it to exit. It may
// be called more than once.
func (s *Server) Stop() {
	s.p.stop()
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("cachetest: %v", err)
	}
	return port
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a running redis-server.
type process struct {
	addr     string
	port     int
	dir      string // removed by stop, if set
	cmd      *exec.Cmd
	out      *syncBuffer
	exited   chan struct{}
	stopOnce sync.Once
}

// startFree starts a redis-server on a free port, retrying a few times in
// case another process takes the port first.
func startFree(dir string) (*process, error) {
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		var p *process
		if p, err = start(port, dir); err == nil {
			return p, nil
		}
	}
	return nil, err
}

// start starts a redis-server without persistence on 127.0.0.1:port, with
// dir as working directory, and waits until it answers PING. The extra
// arguments follow the defaults, so they may also override them.
func start(port int, dir string, extra ...string) (*process, error) {
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--dir", dir,
		"--loglevel", "warning",
	}
	cmd := exec.Command("redis-server", append(args, extra...)...)
	p := &process{
		addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		port:   port,
		cmd:    cmd,
		out:    &syncBuffer{},
		exited: make(chan struct{}),
	}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	prepare(cmd)

	started := make(chan error, 1)
	go func() {
		// The thread starting the child must live as long as the child for
		// the parent-death signal (Linux) not to fire early: stay on it
		// until the child exits, then let the thread go with the goroutine.
		lockThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}

	deadline := time.Now().Add(startTimeout)
	for {
		err := ping(p.addr, 100*time.Millisecond)
		if err == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("redis-server on port %d exited: %s", port, bytes.TrimSpace(p.out.Bytes()))
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("redis-server on port %d does not answer PING after %v: %v", port, startTimeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *process) stop() {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if p.dir != "" {
			_ = os.RemoveAll(p.dir)
		}
	})
}

// hasExited reports whether p's process has exited.
func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// ping sends PING to the Redis at addr over a fresh connection and expects
// +PONG: a server requiring a password answers -NOAUTH and does not count.
func ping(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimSpace(line); line != "+PONG" {
		return errors.New("unexpected reply " + strconv.Quote(line))
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
