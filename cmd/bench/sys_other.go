//go:build unix && !linux

package main

import "syscall"

// sysProcAttr puts a child in its own process group, so that it can be
// stopped with everything it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
