package cachetest

import (
	"os/exec"
	"runtime"
	"syscall"
)

// prepare makes the child get SIGKILL when the thread that starts it dies:
// startThread locks the starting goroutine to its thread until the child
// exits, so the thread dies only with the test process, and a redis-server
// never outlives a test binary that was killed or did not call Main.
func prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func lockThread() { runtime.LockOSThread() }
