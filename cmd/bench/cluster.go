package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis modes of -redis-mode.
const (
	redisSingle  = "single"
	redisCluster = "cluster"
	redisMemory  = "memory" // no Redis: the facade's in-process cache
)

// clusterMasters and clusterReplicas shape the Redis Cluster bench starts
// with -redis-mode cluster: the smallest that survives a master's loss.
const (
	clusterMasters  = 3
	clusterReplicas = 1
)

// startCluster starts a Redis Cluster of bench's own on loopback: three
// masters with a replica each, no persistence, the facade its only
// client.
func (b *bench) startCluster(ctx context.Context) error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return errors.New("redis-server is not on PATH: install it, or give -redis host:port of a cluster node")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return errors.New("redis-cli is not on PATH (it creates the cluster): install it, or give -redis host:port of a cluster node")
	}
	n := clusterMasters * (1 + clusterReplicas)
	addrs, err := clusterAddrs(n)
	if err != nil {
		return err
	}
	b.progress("starting a Redis Cluster of %d masters and %d replicas on %s", clusterMasters, clusterMasters*clusterReplicas, strings.Join(addrs, ", "))
	for i, addr := range addrs {
		_, port, _ := net.SplitHostPort(addr)
		dir := filepath.Join(b.tmp, "redis-"+port)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		c, err := b.procs.start(fmt.Sprintf("redis-%d", i), bin, []string{
			"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
			"--cluster-require-full-coverage", "no", "--repl-diskless-sync-delay", "0",
		}, nil)
		if err != nil {
			return err
		}
		node := newNodeClient(addr)
		err = waitReady(ctx, c, func(ctx context.Context) error { return node.Ping(ctx).Err() })
		node.Close()
		if err != nil {
			return err
		}
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(clusterReplicas), "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := waitClusterOK(ctx, addrs); err != nil {
		return err
	}
	b.redisAddr, b.redisNodes, b.ownRedis = addrs[0], addrs, true
	b.redis = newRedisStats(addrs[0], true)
	return nil
}

// clusterAddrs returns n loopback addresses whose ports, and the ports
// 10000 above them (the cluster bus), were free a moment ago: 2n ports,
// no two the same.
func clusterAddrs(n int) ([]string, error) { return clusterAddrsFrom(n, freeAddr) }

// clusterAddrsFrom is clusterAddrs with the addresses drawn from free,
// which may hand out a port it handed out before: a port is free again as
// soon as its probe closes.
func clusterAddrsFrom(n int, free func() (string, error)) ([]string, error) {
	var addrs []string
	taken := map[int]bool{}
	for tries := 0; len(addrs) < n && tries < 100*n; tries++ {
		addr, err := free()
		if err != nil {
			return nil, err
		}
		_, p, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(p)
		if port+10000 > 65535 || taken[port] || taken[port+10000] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		if err != nil {
			continue
		}
		ln.Close()
		taken[port], taken[port+10000] = true, true
		addrs = append(addrs, addr)
	}
	if len(addrs) < n {
		return nil, fmt.Errorf("found %d of the %d free port pairs a cluster needs", len(addrs), n)
	}
	return addrs, nil
}

// waitClusterOK waits until every node says the cluster is whole.
func waitClusterOK(ctx context.Context, addrs []string) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		bad := ""
		for _, addr := range addrs {
			c := newNodeClient(addr)
			info, err := c.ClusterInfo(ctx).Result()
			c.Close()
			switch {
			case err != nil:
				bad = addr + ": " + err.Error()
			case !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_ok:16384") ||
				!strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", len(addrs))):
				bad = addr + " is not part of a whole cluster yet"
			}
			if bad != "" {
				break
			}
		}
		if bad == "" {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Redis Cluster is not whole after %s: %s", readyTimeout, bad)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newNodeClient returns a client of one Redis node that sends nothing on
// connect besides the handshake.
func newNodeClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                     addr,
		PoolSize:                 1,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

// clusterURL returns the REDIS_URL naming every node, as go-redis's
// ParseClusterURL reads it.
func clusterURL(addrs []string) string {
	var b bytes.Buffer
	b.WriteString("redis://" + addrs[0])
	for i, a := range addrs[1:] {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString("addr=" + a)
	}
	return b.String()
}

// facadeRedisEnv returns the facade's REDIS_URL and, on a cluster,
// REDIS_MODE.
func (b *bench) facadeRedisEnv() map[string]string {
	if b.cfg.redisMode == redisMemory {
		return map[string]string{"REDIS_URL": "", "REDIS_MODE": ""} // whatever the environment says
	}
	if b.cfg.redisMode != redisCluster {
		return map[string]string{"REDIS_URL": "redis://" + b.redisAddr}
	}
	nodes := b.redisNodes
	if len(nodes) == 0 {
		nodes = []string{b.redisAddr}
	}
	return map[string]string{"REDIS_URL": clusterURL(nodes), "REDIS_MODE": redisCluster}
}
