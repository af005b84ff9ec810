package cachetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

const (
	// numSlots is the number of hash slots of a Redis Cluster.
	numSlots = 16384
	// busOffset is how far above its port a node listens for the cluster
	// bus.
	busOffset = 10000
	// createTimeout bounds redis-cli --cluster create.
	createTimeout = 30 * time.Second
	// healthyTimeout bounds the wait for a created cluster to be healthy.
	healthyTimeout = 20 * time.Second
	// nodeLogFile is the name of a node's log file, in the node's directory.
	nodeLogFile = "redis.log"
)

// ClusterOptions configures StartCluster. The zero value is 3 masters with
// 1 replica each.
type ClusterOptions struct {
	// Masters is the number of masters, which share the hash slots: 3 if
	// 0. redis-cli --cluster create needs at least 3.
	Masters int
	// Replicas is the number of replicas per master: 1 if 0, none if -1.
	Replicas int
	// NodeTimeout is the cluster-node-timeout, after which an unreachable
	// master is failed over to one of its replicas: 1s if 0, for fast
	// failovers in tests.
	NodeTimeout time.Duration
	// Args are more redis-server arguments for every node, after the
	// package's own (so a later one of the same name wins), such as a
	// deployment's, to check them on a real cluster.
	Args []string
}

// clusterConfig is a ClusterOptions with its defaults applied.
type clusterConfig struct {
	masters     int
	replicas    int // per master, 0 for none
	nodeTimeout time.Duration
	args        []string
}

// config returns o with its defaults applied, or why o is invalid.
func (o ClusterOptions) config() (clusterConfig, error) {
	cfg := clusterConfig{masters: o.Masters, replicas: o.Replicas, nodeTimeout: o.NodeTimeout, args: o.Args}
	switch {
	case o.Masters == 0:
		cfg.masters = 3
	case o.Masters < 3:
		return cfg, fmt.Errorf("ClusterOptions.Masters is %d; redis-cli --cluster create needs at least 3", o.Masters)
	}
	switch {
	case o.Replicas == 0:
		cfg.replicas = 1
	case o.Replicas == -1:
		cfg.replicas = 0
	case o.Replicas < -1:
		return cfg, fmt.Errorf("ClusterOptions.Replicas is %d; want -1 for none, 0 for the default of 1, or more", o.Replicas)
	}
	switch {
	case o.NodeTimeout == 0:
		cfg.nodeTimeout = time.Second
	case o.NodeTimeout < time.Millisecond:
		return cfg, fmt.Errorf("ClusterOptions.NodeTimeout is %v; want at least 1ms, or 0 for the default of 1s", o.NodeTimeout)
	}
	return cfg, nil
}

// Cluster is a Redis Cluster of redis-server processes on 127.0.0.1, each
// with a directory of its own, started by StartCluster or SharedCluster. On
// Linux its processes are also killed when the test process dies.
type Cluster struct {
	dir    string   // holds the nodes' directories; removed by stop
	args   []string // the nodes' redis-server arguments, besides start's and the log file
	shared bool     // SharedCluster's: no Kill or Restart
	nodes  []*clusterNode

	mu      sync.Mutex
	clients map[string]*redis.Client // by node address, for inspection
}

// clusterNode is a node of a Cluster.
type clusterNode struct {
	addr string // 127.0.0.1:port
	port int
	dir  string   // its working directory, holding nodes.conf and its log
	p    *process // nil once killed; guarded by Cluster.mu
	// paused is set while the process is stopped (SIGSTOP) by Pause;
	// guarded by Cluster.mu.
	paused bool
}

// sharedCluster is the cluster SharedCluster starts.
var sharedCluster struct {
	once sync.Once
	c    *Cluster
	err  error
}

// StartCluster starts a Redis Cluster of t's own, as o configures it, on
// free ports of 127.0.0.1, and waits until it is healthy (see
// WaitHealthy). Its nodes are killed and their directories removed when t
// ends. StartCluster skips t, or fails it when Required, if redis-server or
// redis-cli is not on PATH.
//
// Each node is a redis-server without persistence, with cluster-enabled,
// cluster-require-full-coverage no (the other masters serve their slots
// while one is down) and repl-diskless-sync-delay 0 (replicas sync at
// once). Its log, redis.log, is in its directory.
func StartCluster(t testing.TB, o ClusterOptions) *Cluster {
	t.Helper()
	needClusterBinaries(t)
	cfg, err := o.config()
	if err != nil {
		t.Fatalf("cachetest: StartCluster: %v", err)
	}
	c, err := startCluster(cfg)
	if err != nil {
		t.Fatalf("cachetest: %v", err)
	}
	t.Cleanup(c.stop)
	return c
}

// SharedCluster returns a cluster with the default ClusterOptions shared by
// the tests of the process, started by the first call. Main and Run stop it,
// so a package using it must call one of them from TestMain. Tests sharing
// the cluster must keep apart with their own keys, for example with
// Namespace; none of them may flush it, and Kill and Restart fail them.
// SharedCluster skips t, or fails it when Required, if redis-server or
// redis-cli is not on PATH.
func SharedCluster(t testing.TB) *Cluster {
	t.Helper()
	needClusterBinaries(t)
	sharedCluster.once.Do(func() {
		cfg, err := ClusterOptions{}.config()
		if err != nil {
			sharedCluster.err = err
			return
		}
		c, err := startCluster(cfg)
		if err != nil {
			sharedCluster.err = err
			return
		}
		c.shared = true
		sharedCluster.c = c
	})
	if sharedCluster.err != nil {
		t.Fatalf("cachetest: shared cluster: %v", sharedCluster.err)
	}
	return sharedCluster.c
}

// needClusterBinaries skips or fails t unless redis-server and redis-cli
// are on PATH.
func needClusterBinaries(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			unavailable(t, "there is no "+bin+" on PATH, which a Redis Cluster needs")
		}
	}
}

// startCluster starts the nodes of a cluster configured by cfg, creates the
// cluster with redis-cli and waits until it is healthy.
func startCluster(cfg clusterConfig) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "cachetest-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		dir: dir,
		args: []string{
			"--protected-mode", "no",
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", strconv.FormatInt(cfg.nodeTimeout.Milliseconds(), 10),
			"--cluster-require-full-coverage", "no",
			"--repl-diskless-sync-delay", "0",
			"--loglevel", "notice",
		},
		clients: map[string]*redis.Client{},
	}
	c.args = append(c.args, cfg.args...)
	// Another process may take a port between the moment it was found free
	// and the moment a node listens on it: then try again with new ports.
	const tries = 3
	for range tries {
		if err = c.startNodes(cfg.masters * (1 + cfg.replicas)); err == nil {
			break
		}
	}
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("start cluster nodes (%d tries): %w", tries, err)
	}
	if err := c.create(cfg.replicas); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.waitHealthy(healthyTimeout); err != nil {
		c.stop()
		return nil, fmt.Errorf("cluster %s created, but: %w", strings.Join(c.Addrs(), " "), err)
	}
	return c, nil
}

// startNodes starts n nodes, in parallel, on ports whose bus ports are
// free too. If one fails to start, it stops the others.
func (c *Cluster) startNodes(n int) error {
	ports, err := clusterPorts(n)
	if err != nil {
		return err
	}
	nodes := make([]*clusterNode, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, port := range ports {
		node := &clusterNode{
			addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			port: port,
			dir:  filepath.Join(c.dir, strconv.Itoa(port)),
		}
		nodes[i] = node
		wg.Go(func() {
			if err := os.Mkdir(node.dir, 0o700); err != nil {
				errs[i] = err
				return
			}
			p, err := start(node.port, node.dir, c.nodeArgs(node)...)
			if err != nil {
				errs[i] = fmt.Errorf("cluster node %s: %w; %s", node.addr, err, node.logTail())
				return
			}
			node.p = p
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, node := range nodes {
			if node.p != nil {
				node.p.stop()
			}
			_ = os.RemoveAll(node.dir)
		}
		return err
	}
	c.nodes = nodes
	return nil
}

// nodeArgs returns the redis-server arguments of node, besides start's.
func (c *Cluster) nodeArgs(node *clusterNode) []string {
	return append(slices.Clip(c.args), "--logfile", filepath.Join(node.dir, nodeLogFile))
}

// clusterPorts returns n distinct ports P that were free on 127.0.0.1 a
// moment ago, with their cluster bus ports P+10000 free too.
func clusterPorts(n int) ([]int, error) {
	var held []net.Listener // so that no port is found twice
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries == 100*n {
			return nil, fmt.Errorf("find %d ports P free on 127.0.0.1 with P+%d free too: none in %d tries", n, busOffset, tries)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		held = append(held, l)
		port := l.Addr().(*net.TCPAddr).Port
		if port+busOffset > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+busOffset)))
		if err != nil {
			continue
		}
		held = append(held, bus)
		ports = append(ports, port)
	}
	return ports, nil
}

// ansiEscape matches the color escapes in redis-cli's output.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// create joins the started nodes into a cluster with redis-cli, the first
// of them masters, each of the others a replica.
func (c *Cluster) create(replicas int) error {
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), createTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no result after %v", createTimeout)
		}
		return fmt.Errorf("redis-cli %s: %v; its output:\n%s", strings.Join(args, " "), err, ansiEscape.ReplaceAll(out, nil))
	}
	return nil
}

// stop kills every node and removes their directories. It may be called
// more than once.
func (c *Cluster) stop() {
	c.mu.Lock()
	var procs []*process
	for _, node := range c.nodes {
		if node.p != nil {
			procs = append(procs, node.p)
			node.p = nil
		}
	}
	clients := c.clients
	c.clients = map[string]*redis.Client{}
	c.mu.Unlock()
	for _, cl := range clients {
		_ = cl.Close()
	}
	for _, p := range procs {
		p.stop()
	}
	_ = os.RemoveAll(c.dir)
}

// URL returns a redis:// URL naming every node of the cluster, the first
// as the URL's host and the others as addr parameters, as
// redis.ParseClusterURL reads it.
func (c *Cluster) URL() string {
	addrs := c.Addrs()
	return "redis://" + addrs[0] + "?addr=" + strings.Join(addrs[1:], "&addr=")
}

// Addrs returns the address (host:port) of every node of the cluster, in
// the order they were started, killed ones included. The first Masters
// were created masters, the others replicas.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, node := range c.nodes {
		addrs[i] = node.addr
	}
	return addrs
}

// Client returns a go-redis cluster client for every node of c, closed when
// t ends. Its options are go-redis defaults, except that it sends no
// command on connect besides the handshake; it is meant for setting up and
// inspecting data, not for testing client tuning.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	t.Helper()
	cl := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                    c.Addrs(),
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// Masters returns the addresses of the masters that serve slots now, as
// the first running node sees them, sorted. Killed nodes, and nodes that
// node sees as failing, are left out.
func (c *Cluster) Masters(t testing.TB) []string {
	t.Helper()
	addr := c.firstRunning(t)
	nodes, err := c.clusterNodes(addr)
	if err != nil {
		t.Fatalf("cachetest: %v", err)
	}
	running := c.running()
	var masters []string
	for _, n := range nodes {
		if n.has("master") && !n.failing() && len(n.slots) > 0 && slices.Contains(running, n.addr) {
			masters = append(masters, n.addr)
		}
	}
	slices.Sort(masters)
	return masters
}

// MasterOf returns the address of the master that serves the slot of key
// now, as the first running node sees it. Right after a Kill, that may be
// the killed master still: call WaitHealthy first.
func (c *Cluster) MasterOf(t testing.TB, key string) string {
	t.Helper()
	addr := c.firstRunning(t)
	slot, err := c.do(addr, "CLUSTER", "KEYSLOT", key).Int()
	if err != nil {
		t.Fatalf("cachetest: %s: CLUSTER KEYSLOT %q: %v", addr, key, err)
	}
	nodes, err := c.clusterNodes(addr)
	if err != nil {
		t.Fatalf("cachetest: %v", err)
	}
	master := slotMasters(nodes)[slot]
	if master == "" {
		t.Fatalf("cachetest: %s sees no master serving slot %d of key %q", addr, slot, key)
	}
	return master
}

// Kill kills the node at addr with SIGKILL, as a crash would, and waits for
// it to exit. Killing a killed node does nothing. Kill fails t on the
// shared cluster.
func (c *Cluster) Kill(t testing.TB, addr string) {
	t.Helper()
	node := c.own(t, "Kill", addr)
	c.mu.Lock()
	p := node.p
	node.p = nil
	if cl := c.clients[addr]; cl != nil {
		_ = cl.Close()
		delete(c.clients, addr)
	}
	c.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

// WaitReplicated fails t unless, within timeout, every replica of every
// running master has caught up with its master's replication offset as it
// was when WaitReplicated was called: every write made before is then on
// a replica too, whichever master dies next. (WAIT does this only for the
// writes of the connection it is sent on.)
func (c *Cluster) WaitReplicated(t testing.TB, timeout time.Duration) {
	t.Helper()
	type target struct {
		addr   string
		offset int64
	}
	var masters []target
	for _, addr := range c.running() {
		info, err := c.do(addr, "info", "replication").Text()
		if err != nil {
			t.Fatalf("cachetest: INFO replication of %s: %v", addr, err)
		}
		if infoField(info, "role") != "master" {
			continue
		}
		off, _ := strconv.ParseInt(infoField(info, "master_repl_offset"), 10, 64)
		masters = append(masters, target{addr, off})
	}
	deadline := time.Now().Add(timeout)
	for _, m := range masters {
		for {
			info, err := c.do(m.addr, "info", "replication").Text()
			if err == nil && replicasAt(info, m.offset) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cachetest: the replicas of %s did not reach offset %d within %v (%v):\n%s", m.addr, m.offset, timeout, err, info)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// replicasAt reports whether a master's INFO replication lists at least
// one replica, each at offset or beyond
// ("slave0:ip=127.0.0.1,port=7004,state=online,offset=1234,lag=0").
func replicasAt(info string, offset int64) bool {
	n := 0
	for line := range strings.Lines(info) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "slave") || !strings.Contains(line, "offset=") {
			continue
		}
		n++
		for _, kv := range strings.Split(line[strings.IndexByte(line, ':')+1:], ",") {
			if v, ok := strings.CutPrefix(kv, "offset="); ok {
				if got, err := strconv.ParseInt(v, 10, 64); err != nil || got < offset {
					return false
				}
			}
		}
	}
	return n > 0
}

// Pause stops the node at addr with SIGSTOP: it keeps its connections
// and its port, and answers nothing — neither a refusal nor a reset — as a
// host that died or fell off the network would. The cluster fails it over
// as a dead one; Resume lets it go on. Pause fails t on the shared cluster.
func (c *Cluster) Pause(t testing.TB, addr string) {
	t.Helper()
	c.signal(t, addr, syscall.SIGSTOP, true)
}

// Resume lets a node stopped by Pause go on, with SIGCONT: it rejoins the
// cluster, as a replica if its slots moved meanwhile.
func (c *Cluster) Resume(t testing.TB, addr string) {
	t.Helper()
	c.signal(t, addr, syscall.SIGCONT, false)
}

func (c *Cluster) signal(t testing.TB, addr string, sig syscall.Signal, paused bool) {
	t.Helper()
	node := c.own(t, sig.String(), addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	if node.p == nil || node.p.hasExited() {
		t.Fatalf("cachetest: node %s is not running", addr)
	}
	if err := node.p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("cachetest: %v to node %s: %v", sig, addr, err)
	}
	node.paused = paused
	if !paused {
		return
	}
	// Resumed when the test ends, before the cluster is stopped, so that
	// nothing is left stopped behind the test.
	proc := node.p.cmd.Process
	t.Cleanup(func() { _ = proc.Signal(syscall.SIGCONT) })
}

// own returns the node at addr for op, which disturbs it: it fails t on
// the shared cluster, which other tests use at the same time.
func (c *Cluster) own(t testing.TB, op, addr string) *clusterNode {
	t.Helper()
	if c.shared {
		t.Fatalf("cachetest: %s(%s) on the shared cluster; use a cluster of the test's own from StartCluster", op, addr)
	}
	return c.node(t, addr)
}

// Restart starts the killed node at addr again, on the same port with the
// same directory and nodes.conf, and waits until it answers PING. It then
// rejoins the cluster: as the master of its slots if no replica took them
// over meanwhile, else as a replica of the master that did. It comes back
// without data. Restart fails t if the node is running, or on the shared
// cluster.
func (c *Cluster) Restart(t testing.TB, addr string) {
	t.Helper()
	node := c.own(t, "Restart", addr)
	c.mu.Lock()
	running := node.p != nil && !node.p.hasExited()
	c.mu.Unlock()
	if running {
		t.Fatalf("cachetest: Restart(%s): the node is running; Kill it first", addr)
	}
	p, err := start(node.port, node.dir, c.nodeArgs(node)...)
	if err != nil {
		t.Fatalf("cachetest: restart cluster node %s: %v; %s", addr, err, node.logTail())
	}
	c.mu.Lock()
	node.p = p
	c.mu.Unlock()
}

// WaitHealthy waits until the cluster is healthy, and fails t if it is not
// within timeout. Healthy means that every running node reports
// cluster_state:ok; that every slot is served, as every running node sees
// it, by a running master, and all running nodes agree on which; that each
// running node sees every other as connected and not failing, in the role
// that node has; and that every running replica's link to its master is
// up.
func (c *Cluster) WaitHealthy(t testing.TB, timeout time.Duration) {
	t.Helper()
	if err := c.waitHealthy(timeout); err != nil {
		t.Fatalf("cachetest: %v", err)
	}
}

func (c *Cluster) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := c.health()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not healthy after %v: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// health returns nil if the cluster is healthy, as WaitHealthy defines it,
// else the first thing found wrong.
func (c *Cluster) health() error {
	running := c.running()
	if len(running) == 0 {
		return errors.New("no node is running")
	}
	views := map[string][]clusterNodeLine{} // CLUSTER NODES by running node
	var first []string                      // slot masters as running[0] sees them
	for _, addr := range running {
		info, err := c.do(addr, "CLUSTER", "INFO").Text()
		if err != nil {
			return fmt.Errorf("%s: CLUSTER INFO: %w", addr, err)
		}
		if state := infoField(info, "cluster_state"); state != "ok" {
			return fmt.Errorf("%s: cluster_state is %q; want ok", addr, state)
		}
		nodes, err := c.clusterNodes(addr)
		if err != nil {
			return err
		}
		views[addr] = nodes
		masters := slotMasters(nodes)
		for slot, m := range masters {
			if m == "" {
				return fmt.Errorf("%s sees no master serving slot %d", addr, slot)
			}
			if !slices.Contains(running, m) {
				return fmt.Errorf("%s sees slot %d served by %s, which is not running", addr, slot, m)
			}
		}
		if first == nil {
			first = masters
		} else if !slices.Equal(masters, first) {
			slot := 0
			for masters[slot] == first[slot] {
				slot++
			}
			return fmt.Errorf("%s sees slot %d served by %s, %s by %s", running[0], slot, first[slot], addr, masters[slot])
		}
	}
	for _, addr := range running {
		var self clusterNodeLine
		for _, n := range views[addr] {
			if n.has("myself") {
				self = n
			}
		}
		role := self.role()
		for _, other := range running {
			if other == addr {
				continue
			}
			i := slices.IndexFunc(views[other], func(n clusterNodeLine) bool { return n.addr == addr && !n.has("handshake") })
			switch {
			case i < 0:
				return fmt.Errorf("%s does not know %s", other, addr)
			case views[other][i].failing():
				return fmt.Errorf("%s sees %s as failing (flags %s)", other, addr, strings.Join(views[other][i].flags, ","))
			case !views[other][i].connected:
				return fmt.Errorf("%s is not connected to %s", other, addr)
			case views[other][i].role() != role:
				return fmt.Errorf("%s sees %s as a %s; it is a %s", other, addr, views[other][i].role(), role)
			}
		}
		if role == "replica" {
			info, err := c.do(addr, "INFO", "replication").Text()
			if err != nil {
				return fmt.Errorf("%s: INFO replication: %w", addr, err)
			}
			if link := infoField(info, "master_link_status"); link != "up" {
				return fmt.Errorf("replica %s: master_link_status is %q; want up", addr, link)
			}
		}
	}
	return nil
}

// node returns the node at addr, or fails t.
func (c *Cluster) node(t testing.TB, addr string) *clusterNode {
	t.Helper()
	for _, node := range c.nodes {
		if node.addr == addr {
			return node
		}
	}
	t.Fatalf("cachetest: %s is not a node of the cluster %s", addr, strings.Join(c.Addrs(), " "))
	return nil
}

// running returns the addresses of the nodes running now, in start order.
func (c *Cluster) running() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var addrs []string
	for _, node := range c.nodes {
		if node.p != nil && !node.p.hasExited() && !node.paused {
			addrs = append(addrs, node.addr)
		}
	}
	return addrs
}

// firstRunning returns the address of the first running node, or fails t.
func (c *Cluster) firstRunning(t testing.TB) string {
	t.Helper()
	running := c.running()
	if len(running) == 0 {
		t.Fatalf("cachetest: no node of the cluster %s is running", strings.Join(c.Addrs(), " "))
	}
	return running[0]
}

// do sends a command to the node at addr, failing soon if it does not
// answer.
func (c *Cluster) do(addr string, args ...any) *redis.Cmd {
	c.mu.Lock()
	cl := c.clients[addr]
	if cl == nil {
		cl = redis.NewClient(&redis.Options{
			Addr:                     addr,
			DialTimeout:              time.Second,
			ReadTimeout:              2 * time.Second,
			WriteTimeout:             2 * time.Second,
			MaxRetries:               -1,
			PoolSize:                 2,
			DisableIdentity:          true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})
		c.clients[addr] = cl
	}
	c.mu.Unlock()
	return cl.Do(context.Background(), args...)
}

// clusterNodes returns the node at addr's CLUSTER NODES.
func (c *Cluster) clusterNodes(addr string) ([]clusterNodeLine, error) {
	text, err := c.do(addr, "CLUSTER", "NODES").Text()
	if err != nil {
		return nil, fmt.Errorf("%s: CLUSTER NODES: %w", addr, err)
	}
	nodes, err := parseClusterNodes(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	return nodes, nil
}

// logTail returns the end of node's log, for error messages.
func (node *clusterNode) logTail() string {
	path := filepath.Join(node.dir, nodeLogFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("no log: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "the end of " + path + ":\n" + strings.Join(lines, "\n")
}

// clusterNodeLine is a line of CLUSTER NODES: a node as another sees it.
type clusterNodeLine struct {
	id        string
	addr      string // host:port
	flags     []string
	masterID  string // for a replica, "-" for a master
	connected bool
	slots     [][2]int // the first and last slot of each range it serves
}

// parseClusterNodes parses the reply to CLUSTER NODES.
func parseClusterNodes(text string) ([]clusterNodeLine, error) {
	var nodes []clusterNodeLine
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 8 {
			return nil, fmt.Errorf("CLUSTER NODES line %q has %d fields; want at least 8", strings.TrimSpace(line), len(f))
		}
		addr, _, _ := strings.Cut(f[1], "@") // host:port@busport[,hostname]
		n := clusterNodeLine{id: f[0], addr: addr, flags: strings.Split(f[2], ","), masterID: f[3], connected: f[7] == "connected"}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue // a slot being imported or migrated: [slot-<-id] or [slot->-id]
			}
			lo, hi, isRange := strings.Cut(s, "-")
			if !isRange {
				hi = lo
			}
			first, err1 := strconv.Atoi(lo)
			last, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || first < 0 || first > last || last >= numSlots {
				return nil, fmt.Errorf("CLUSTER NODES line %q: bad slot range %q", strings.TrimSpace(line), s)
			}
			n.slots = append(n.slots, [2]int{first, last})
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// has reports whether n has flag.
func (n clusterNodeLine) has(flag string) bool {
	return slices.Contains(n.flags, flag)
}

// failing reports whether n is flagged as failing (fail) or possibly
// failing (fail?).
func (n clusterNodeLine) failing() bool {
	return n.has("fail") || n.has("fail?")
}

// role returns "master", "replica" or, for neither, n's flags.
func (n clusterNodeLine) role() string {
	switch {
	case n.has("master"):
		return "master"
	case n.has("slave"):
		return "replica"
	}
	return strings.Join(n.flags, ",")
}

// slotMasters returns the address of the master serving each slot in
// nodes, "" for none.
func slotMasters(nodes []clusterNodeLine) []string {
	masters := make([]string, numSlots)
	for _, n := range nodes {
		if !n.has("master") {
			continue
		}
		for _, r := range n.slots {
			for slot := r[0]; slot <= r[1]; slot++ {
				masters[slot] = n.addr
			}
		}
	}
	return masters
}

// infoField returns the value of field in the reply to INFO or CLUSTER
// INFO, "" if it has none.
func infoField(info, field string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}
