package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// The benchmark reads what it measures from Linux's /proc.

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times: 100 per second
// on Linux.
const clockTick = 10 * time.Millisecond

// peakMemory is a process's VmHWM in bytes, or 0 once it is gone.
func peakMemory(pid int) int64 {
	return procField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM") * 1024
}

// childrenCPU is the user and system time of the children pid has waited
// for (cutime and cstime), read from /proc/<pid>/stat; 0 if unreadable.
func childrenCPU(pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return statChildrenCPU(stat)
}

// statChildrenCPU reads cutime and cstime, the 16th and 17th fields of a
// /proc/<pid>/stat line. The command name (the 2nd) is in parentheses and
// may hold spaces, so fields are counted after its closing parenthesis.
func statChildrenCPU(stat []byte) time.Duration {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is the 3rd field, so the 16th and 17th are f[13] and f[14].
	if len(f) < 15 {
		return 0
	}
	cu, err1 := strconv.ParseInt(f[13], 10, 64)
	cs, err2 := strconv.ParseInt(f[14], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(cu+cs) * clockTick
}

// selfCPU is the user and system time this process has used, its
// reference servers' included.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Arguments of waitid(2) that the syscall package does not name.
const (
	pPID    = 1          // P_PID: wait for the process whose id is given
	wExited = 0x4        // WEXITED
	wNoWait = 0x01000000 // WNOWAIT: leave the process waitable
)

// waitExited blocks until process pid has exited, without reaping it: its
// /proc entry stays readable until exec.Cmd.Wait reaps it.
func waitExited(pid int) error {
	var info [128]byte // siginfo_t, unread
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), wExited|wNoWait, 0, 0)
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
		default:
			return fmt.Errorf("waitid: %w", errno)
		}
	}
}

// newChildren lists the processes started after parent whose parent it is
// and whose name starts with comm. Only pids above the parent's are read,
// which keeps sampling cheap next to what it measures.
func newChildren(parent int, comm string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= parent {
			continue
		}
		if procField(fmt.Sprintf("/proc/%d/status", pid), "PPid") != int64(parent) {
			continue
		}
		name, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.HasPrefix(string(name), comm) {
			out = append(out, pid)
		}
	}
	return out
}

// procField reads "Name: value [kB]" from a /proc file, or 0.
func procField(path, name string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return statusField(data, name)
}

// statusField reads "Name: value [kB]" from the text of a /proc status
// file, or 0.
func statusField(data []byte, name string) int64 {
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		return n
	}
	return 0
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
