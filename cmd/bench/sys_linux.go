package main

import "syscall"

// sysProcAttr puts a child in its own process group, so that it can be
// stopped with everything it started, and has the kernel kill it if bench
// itself dies without cleaning up (SIGKILL, a crash).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
