package fgproxy

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"nixproc/agnostic"
	"nixproc/backends/backendtest"
)

func backendsDirs(state string) agnostic.Dirs { return agnostic.Dirs{StateDir: state} }

func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

// alive reports whether pid is a live process; zombies are dead.
func alive(pid int) bool {
	st := procStat(pid)
	return len(st) > 0 && st[0] != "Z" && st[0] != "X"
}

func procPIDs() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// sleepers lists the live copies of this test's sleep binary.
func (e *proxyEnv) sleepers() []int {
	var out []int
	for _, pid := range procPIDs() {
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if exe == e.path("sleeper") && alive(pid) {
			cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if !bytes.HasPrefix(cmd, []byte(e.path("sleeper")+"\x000.")) { // naps of the programs
				out = append(out, pid)
			}
		}
	}
	return out
}

// psChildren lists the live children of pid.
func psChildren(pid int) []int {
	var out []int
	for _, p := range procPIDs() {
		st := procStat(p)
		if len(st) > 2 && st[2] == strconv.Itoa(pid) && alive(p) {
			out = append(out, p)
		}
	}
	return out
}

// killUnder kills every process whose executable or command line names a
// file under dir.
func killUnder(dir string) {
	for _, pid := range procPIDs() {
		if pid == os.Getpid() {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.HasPrefix(exe, dir+"/") || bytes.Contains(cmdline, []byte(dir+"/")) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// syncBuffer is a bytes.Buffer a running process writes while a test reads.
type syncBuffer = backendtest.SyncBuffer
