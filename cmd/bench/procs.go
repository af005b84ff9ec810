package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Time limits for children.
const (
	readyTimeout = 60 * time.Second // to answer after start (a large simulator builds its data first)
	stopGrace    = 15 * time.Second // from SIGTERM to SIGKILL; the facade drains for up to 10s
	killGrace    = 3 * time.Second  // the same, when cleaning up on exit
)

// supervisor starts child processes, each in its own process group, and
// stops whatever is still running when closed: on normal exit, on error and
// on Ctrl-C alike (close runs deferred).
type supervisor struct {
	logDir string // where children's output goes

	mu   sync.Mutex
	live map[*child]bool
}

func newSupervisor(logDir string) *supervisor {
	return &supervisor{logDir: logDir, live: map[*child]bool{}}
}

// child is a running process started by a supervisor.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // the exit status, once done is closed
}

// start starts bin with args and env (nil: bench's own environment). Its
// stdout and stderr go to a log file in the supervisor's directory.
func (s *supervisor) start(name, bin string, args, env []string) (*child, error) {
	logPath := filepath.Join(s.logDir, fileName(name)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	s.mu.Lock()
	s.live[c] = true
	s.mu.Unlock()
	go func() {
		c.err = cmd.Wait()
		close(c.done)
		s.mu.Lock()
		delete(s.live, c)
		s.mu.Unlock()
	}()
	return c, nil
}

// pid returns the child's process ID.
func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the child has exited, with its status.
func (c *child) exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.err
	default:
		return false, nil
	}
}

// stop sends SIGTERM to the child's process group and waits for the child
// to exit, up to grace; then it kills the group.
func (c *child) stop(grace time.Duration) error {
	if done, _ := c.exited(); done {
		return nil
	}
	pgid := c.pid() // Setpgid: the group's ID is the child's
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-c.done
	return fmt.Errorf("%s did not stop within %s of SIGTERM and was killed", c.name, grace)
}

// logTail returns the last lines of the child's output, for an error.
func (c *child) logTail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return "(no output)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-10):], "\n")
}

// close stops every child still running: SIGTERM to each group, then
// SIGKILL to those that have not exited after a short grace.
func (s *supervisor) close() {
	s.mu.Lock()
	live := make([]*child, 0, len(s.live))
	for c := range s.live {
		live = append(live, c)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range live {
		wg.Go(func() { _ = c.stop(killGrace) })
	}
	wg.Wait()
}

// fileName makes name safe as a file name.
func fileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// freeAddr returns 127.0.0.1:<port> with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady polls until probe succeeds, the child exits, ctx ends or
// readyTimeout passes.
func waitReady(ctx context.Context, c *child, probe func(context.Context) error) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := probe(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if done, exitErr := c.exited(); done {
			return fmt.Errorf("%s exited during start-up (%v); its output:\n%s", c.name, exitErr, c.logTail())
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not ready after %s: %v; its output:\n%s", c.name, readyTimeout, err, c.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// httpOK returns a probe that succeeds when GET url answers 200.
func httpOK(client *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
		}
		return nil
	}
}

// tcpOpen returns a probe that succeeds when addr accepts a connection.
func tcpOpen(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// withEnv returns base with every variable of set replaced by set's value.
// The other variables pass through, so a facade setting that bench does
// not choose (REDIS_TIMEOUT, GOGC, …) can still be given to the facade.
func withEnv(base []string, set map[string]string) []string {
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := set[name]; !ok {
			out = append(out, kv)
		}
	}
	for name, v := range set {
		out = append(out, name+"="+v)
	}
	return out
}

// moduleRoot returns the directory of the customergraph module that the
// go command sees from the working directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run bench from the customergraph repository, or give -facade-bin and -sim-bin")
	}
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(b, []byte("module customergraph\n")) && !bytes.Contains(b, []byte("\nmodule customergraph\n")) {
		return "", fmt.Errorf("%s is not the customergraph module: run bench from the customergraph repository, or give -facade-bin and -sim-bin", gomod)
	}
	return filepath.Dir(gomod), nil
}

// goBuild builds the package pkg of the module at root into out.
func goBuild(ctx context.Context, root, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -o %s %s: %w\n%s", out, pkg, err, bytes.TrimSpace(b))
	}
	return nil
}
