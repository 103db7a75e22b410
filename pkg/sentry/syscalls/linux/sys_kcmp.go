// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package linux

import (
	"cmp"
	"slices"
	"unsafe"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/sentry/arch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/mm"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
)

// kcmp(2) types, from include/uapi/linux/kcmp.h.
const (
	kcmpFile     = 0
	kcmpVM       = 1
	kcmpFiles    = 2
	kcmpFS       = 3
	kcmpSighand  = 4
	kcmpIO       = 5
	kcmpSysvsem  = 6
	kcmpEpollTFD = 7
)

// kcmpID is the identity of the object p points to: its address, which is
// stable while the object is reachable (Go's heap does not move objects) and
// only ever leaves the Sentry through the keyed permutation of kcmpKey. A
// nil pointer is identity 0, so two absent objects compare equal, as two
// NULL pointers do in Linux.
func kcmpID[T any](p *T) uint64 {
	return uint64(uintptr(unsafe.Pointer(p)))
}

// Kcmp implements kcmp(2), following Linux's kernel/kcmp.c: both pids are
// looked up in the caller's PID namespace (ESRCH), then the caller must be
// allowed to ptrace-read both tasks (EPERM), then the type is checked
// (EINVAL).
func Kcmp(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
	pidns := t.PIDNamespace()
	task1 := pidns.TaskWithID(kernel.ThreadID(args[0].Int()))
	task2 := pidns.TaskWithID(kernel.ThreadID(args[1].Int()))
	if task1 == nil || task2 == nil {
		return 0, nil, linuxerr.ESRCH
	}
	// CanTrace without attach is PTRACE_MODE_READ with the real
	// credentials, as kcmp's PTRACE_MODE_READ_REALCREDS.
	if !t.CanTrace(task1, false) || !t.CanTrace(task2, false) {
		return 0, nil, linuxerr.EPERM
	}
	typ := args[2].Int()
	var id1, id2 uint64
	switch typ {
	case kcmpFile:
		// Linux reads the indices as unsigned int.
		f1 := kcmpTaskFile(task1, args[3].Uint())
		if f1 != nil {
			defer f1.DecRef(t)
		}
		f2 := kcmpTaskFile(task2, args[4].Uint())
		if f2 != nil {
			defer f2.DecRef(t)
		}
		if f1 == nil || f2 == nil {
			return 0, nil, linuxerr.EBADF
		}
		id1, id2 = kcmpID(f1), kcmpID(f2)
	case kcmpVM:
		id1, id2 = kcmpID(kcmpTaskMM(task1)), kcmpID(kcmpTaskMM(task2))
	case kcmpFiles:
		id1, id2 = kcmpID(kcmpTaskFDTable(task1)), kcmpID(kcmpTaskFDTable(task2))
	case kcmpFS:
		id1, id2 = kcmpID(kcmpTaskFSContext(task1)), kcmpID(kcmpTaskFSContext(task2))
	case kcmpSighand:
		// A zombie group leader keeps its signal handlers until it is
		// reaped, as in Linux (released in __exit_signal).
		id1, id2 = kcmpID(task1.ThreadGroup().SignalHandlers()), kcmpID(task2.ThreadGroup().SignalHandlers())
	case kcmpIO:
		// Linux compares task->io_context, which a task gets only when
		// it sets an I/O priority, shares one with CLONE_IO, or submits
		// block I/O under a scheduler that keeps per-task state (BFQ);
		// most tasks have none, and two tasks without one compare equal
		// (both NULL). gVisor has no I/O contexts at all (CLONE_IO is
		// accepted and ignored), so every pair is such a pair: equal.
		id1, id2 = 0, 0
	case kcmpSysvsem:
		// Linux compares task->sysvsem.undo_list, which exists only after
		// a semop with SEM_UNDO (or is shared with CLONE_SYSVSEM); tasks
		// without one compare equal (both NULL). gVisor's semaphores keep
		// no undo lists (SEM_UNDO is not implemented, gvisor.dev/issue/137),
		// so every task is such a task: equal. Linux gives EOPNOTSUPP only
		// without CONFIG_SYSVIPC; gVisor always has SysV IPC.
		id1, id2 = 0, 0
	case kcmpEpollTFD:
		id1, id2, err := kcmpEpollTarget(t, task1, task2, args[3].Uint(), args[4].Pointer())
		if err != nil {
			return 0, nil, err
		}
		return kcmpCompare(kcmpSeed, kcmpFile, id1, id2), nil, nil
	default:
		return 0, nil, linuxerr.EINVAL
	}
	return kcmpCompare(kcmpSeed, typ, id1, id2), nil, nil
}

// kcmpExited reports whether task has released its memory, fd table and fs
// context, which Linux's exit path sets to NULL (exit_mm, exit_files,
// exit_fs); gVisor clears the memory manager but leaves the released fd
// table and fs context in place.
func kcmpExited(task *kernel.Task) bool {
	return task.ExitState() >= kernel.TaskExitZombie
}

// kcmpTaskFile returns, with a reference, the file behind task's descriptor
// fd, O_PATH descriptors included; nil if there is none.
func kcmpTaskFile(task *kernel.Task, fd uint32) *vfs.FileDescription {
	if fd > 1<<31-1 {
		return nil
	}
	var file *vfs.FileDescription
	task.WithMuLocked(func(task *kernel.Task) {
		if fdt := task.FDTable(); fdt != nil && !kcmpExited(task) {
			file, _ = fdt.Get(int32(fd))
		}
	})
	return file
}

// kcmpTaskMM returns task's address space, nil once it has exited (gVisor
// clears it on exit, as Linux does).
func kcmpTaskMM(task *kernel.Task) *mm.MemoryManager {
	var m *mm.MemoryManager
	task.WithMuLocked(func(task *kernel.Task) {
		m = task.MemoryManager()
	})
	return m
}

// kcmpTaskFDTable returns task's fd table, nil once it has exited.
func kcmpTaskFDTable(task *kernel.Task) *kernel.FDTable {
	var fdt *kernel.FDTable
	task.WithMuLocked(func(task *kernel.Task) {
		if !kcmpExited(task) {
			fdt = task.FDTable()
		}
	})
	return fdt
}

// kcmpTaskFSContext returns task's fs context, nil once it has exited.
func kcmpTaskFSContext(task *kernel.Task) *kernel.FSContext {
	if kcmpExited(task) {
		return nil
	}
	return task.FSContext()
}

// EpollTargets is what kcmp(KCMP_EPOLL_TFD) needs of an epoll instance
// beyond gVisor's exported API: every registered file and the descriptor
// number it was registered under. mqsentry's runsc adds it to gVisor's
// vfs.EpollInstance (_shims/vfs/mqsentry_epoll_targets.go), and its syscall
// shim asserts at compile time that vfs.EpollInstance implements it, so a
// pin whose EpollInstance no longer matches stops the build. Asking through
// the interface keeps this package compiling against unmodified gVisor (go
// vet, go test), where KCMP_EPOLL_TFD fails with EOPNOTSUPP.
type EpollTargets interface {
	ForEachInterest(fn func(file *vfs.FileDescription, num int32))
}

// kcmpEpollTarget implements KCMP_EPOLL_TFD in Linux's order: the slot is
// read first (EFAULT), then fd idx1 of task1 (EBADF), then slot.efd of task2
// (EBADF; an O_PATH descriptor counts, as with Linux's fget_task), which
// must be an epoll instance (EINVAL), in which the toff-th registration of
// descriptor number slot.tfd must exist (ENOENT). It returns the identities
// of the file behind idx1 and of that registered file.
func kcmpEpollTarget(t *kernel.Task, task1, task2 *kernel.Task, idx1 uint32, slotAddr hostarch.Addr) (uint64, uint64, error) {
	if _, ok := any((*vfs.EpollInstance)(nil)).(EpollTargets); !ok {
		// Built without the accessor: like Linux without CONFIG_EPOLL.
		return 0, 0, linuxerr.EOPNOTSUPP
	}
	raw := (*[kcmpEpollSlotSize]byte)(t.CopyScratchBuffer(kcmpEpollSlotSize))
	if _, err := t.CopyInBytes(slotAddr, raw[:]); err != nil {
		return 0, 0, linuxerr.EFAULT
	}
	slot := decodeKcmpEpollSlot(raw)

	file := kcmpTaskFile(task1, idx1)
	if file == nil {
		return 0, 0, linuxerr.EBADF
	}
	defer file.DecRef(t)
	epfile := kcmpTaskFile(task2, slot.efd)
	if epfile == nil {
		return 0, 0, linuxerr.EBADF
	}
	defer epfile.DecRef(t)
	ep, ok := epfile.Impl().(*vfs.EpollInstance)
	if !ok {
		return 0, 0, linuxerr.EINVAL
	}
	// Linux walks the epoll's registrations in its tree order (by file,
	// then descriptor number) and takes the toff-th one registered under
	// tfd. Ours ranks the registrations under tfd by the files' places in
	// KCMP_FILE's order, which kcmp reveals anyway. Holding the pointers
	// keeps their addresses from being reused while we compare, even if a
	// registered file is released once the epoll is unlocked.
	type registration struct {
		key  uint64
		file *vfs.FileDescription
	}
	var regs []registration
	any(ep).(EpollTargets).ForEachInterest(func(f *vfs.FileDescription, num int32) {
		if num == slot.tfd {
			regs = append(regs, registration{kcmpKey(kcmpSeed, kcmpFile, kcmpID(f)), f})
		}
	})
	if uint64(slot.toff) >= uint64(len(regs)) {
		return 0, 0, linuxerr.ENOENT
	}
	slices.SortFunc(regs, func(a, b registration) int { return cmp.Compare(a.key, b.key) })
	return kcmpID(file), kcmpID(regs[slot.toff].file), nil
}
