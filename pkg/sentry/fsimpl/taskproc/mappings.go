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

package taskproc

import (
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/memmap"
	"gvisor.dev/gvisor/pkg/sentry/mm"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
)

// MappingLister is what /proc/PID/map_files needs of an address space
// beyond gVisor's exported API: each vma's bounds and MappingIdentity, in
// address order, with the address space's mapping lock held. mqsentry's
// runsc adds it to gVisor's mm.MemoryManager (_shims/mm), and its procfs
// shim (_shims/fsimpl/proc) asserts at compile time that mm.MemoryManager
// implements it, so a pin whose MemoryManager no longer matches stops the
// build. Asking through the interface keeps this package compiling against
// unmodified gVisor (go vet, go test), where map_files stays empty.
type MappingLister interface {
	ForEachMapping(fn func(start, end hostarch.Addr, id memmap.MappingIdentity) bool)
}

// fileMapping is a mapping of a file: Linux's vma with a vm_file. In gVisor
// every such vma (a mapped file, a memfd, shared anonymous memory backed by
// a tmpfs file) has the file's description as its MappingIdentity.
type fileMapping struct {
	start, end uint64
	// readable and writable are the file's open mode (f_mode).
	readable, writable bool
}

// linkMode is the mode of the entry of a mapping of a file opened with
// mode: Linux's proc_map_files_instantiate gives the owner read and write
// as the file was opened for them.
func linkMode(readable, writable bool) linux.FileMode {
	mode := linux.FileMode(linux.ModeSymlink)
	if readable {
		mode |= 0400
	}
	if writable {
		mode |= 0200
	}
	return mode
}

// accessMM is Linux's mm_access(t, PTRACE_MODE_READ_FSCREDS), which every
// map_files lookup, revalidation and listing asks: t's address space, with
// a user reference that release drops, for a caller that shares it or may
// ptrace-read t. ESRCH when t has none (it has exited: a zombie, or
// reaped); EACCES when the caller may not read it.
func accessMM(ctx context.Context, t *kernel.Task) (m *mm.MemoryManager, release func(), err error) {
	t.WithMuLocked(func(t *kernel.Task) { m = t.MemoryManager() })
	if m == nil || !m.IncUsers() {
		return nil, nil, linuxerr.ESRCH
	}
	// As in Linux, sharing the address space (a thread, or a CLONE_VM
	// child) needs no ptrace check. The caller runs on its own task
	// goroutine, where its MemoryManager may be read.
	if caller := kernel.TaskFromContext(ctx); caller == nil || (caller.MemoryManager() != m && !mayRead(caller, t, m)) {
		m.DecUsers(ctx)
		return nil, nil, linuxerr.EACCES
	}
	return m, func() { m.DecUsers(ctx) }, nil
}

// mayRead is Linux's ptrace_may_access(t, PTRACE_MODE_READ_FSCREDS) for
// caller, t's address space being m. gVisor's Task.CanTrace checks with
// the real credentials (PTRACE_MODE_REALCREDS); map_files, like Linux's
// other /proc files about a process's memory, uses the credentials the
// caller acts on files with: its effective ids (gVisor's file system ids)
// and effective capabilities. So a root process that set only its
// effective uid to another user's is refused, as in Linux.
func mayRead(caller, t *kernel.Task, m *mm.MemoryManager) bool {
	if caller.ThreadGroup() == t.ThreadGroup() {
		return true
	}
	creds, tcreds := caller.Credentials(), t.Credentials()
	if creds.HasCapabilityIn(linux.CAP_SYS_PTRACE, tcreds.UserNamespace) {
		return true
	}
	uid, gid := creds.EffectiveKUID, creds.EffectiveKGID
	if uid != tcreds.RealKUID || uid != tcreds.EffectiveKUID || uid != tcreds.SavedKUID ||
		gid != tcreds.RealKGID || gid != tcreds.EffectiveKGID || gid != tcreds.SavedKGID {
		return false
	}
	if m.Dumpability() != mm.UserDumpable {
		return false
	}
	// The commoncap LSM: with PTRACE_MODE_FSCREDS the caller's effective
	// capabilities must cover t's permitted ones, in t's user namespace.
	return creds.UserNamespace == tcreds.UserNamespace && tcreds.PermittedCaps&^creds.EffectiveCaps == 0
}

// fileMappings lists m's mappings of files in address order (none if the
// build lacks mqsentry's mm accessor).
func fileMappings(m *mm.MemoryManager) []fileMapping {
	l, ok := any(m).(MappingLister)
	if !ok {
		return nil
	}
	var maps []fileMapping
	l.ForEachMapping(func(start, end hostarch.Addr, id memmap.MappingIdentity) bool {
		if fd, ok := id.(*vfs.FileDescription); ok {
			maps = append(maps, fileMapping{
				start: uint64(start), end: uint64(end),
				readable: fd.IsReadable(), writable: fd.IsWritable(),
			})
		}
		return true
	})
	return maps
}

// mappedFile returns the file of m's mapping that is exactly [start, end)
// (Linux's find_exact_vma with a vm_file), with a reference for the caller,
// or nil.
func mappedFile(m *mm.MemoryManager, start, end uint64) *vfs.FileDescription {
	l, ok := any(m).(MappingLister)
	if !ok {
		return nil
	}
	var file *vfs.FileDescription
	l.ForEachMapping(func(s, e hostarch.Addr, id memmap.MappingIdentity) bool {
		if uint64(s) < start {
			return true
		}
		if uint64(s) == start && uint64(e) == end {
			if fd, ok := id.(*vfs.FileDescription); ok {
				fd.IncRef()
				file = fd
			}
		}
		return false
	})
	return file
}

// taskOwner is the owner Linux gives a task's /proc files
// (fs/proc/base.c:task_dump_owner): the task's effective user and group,
// or root of its user namespace while the task is not dumpable.
func taskOwner(t *kernel.Task) (auth.KUID, auth.KGID) {
	creds := t.Credentials()
	dumpable := false
	t.WithMuLocked(func(t *kernel.Task) {
		if m := t.MemoryManager(); m != nil {
			dumpable = m.Dumpability() == mm.UserDumpable
		}
	})
	if dumpable {
		return creds.EffectiveKUID, creds.EffectiveKGID
	}
	uid, gid := auth.RootKUID, auth.RootKGID
	if kuid := creds.UserNamespace.MapToKUID(auth.RootUID); kuid.Ok() {
		uid = kuid
	}
	if kgid := creds.UserNamespace.MapToKGID(auth.RootGID); kgid.Ok() {
		gid = kgid
	}
	return uid, gid
}

// mayFollow reports whether the caller may follow or open a map_files
// entry: Linux's proc_map_files_get_link asks for CAP_SYS_ADMIN or
// CAP_CHECKPOINT_RESTORE in the initial user namespace.
func mayFollow(ctx context.Context) bool {
	creds := auth.CredentialsFromContext(ctx)
	init := creds.UserNamespace.Root()
	return creds.HasCapabilityIn(linux.CAP_SYS_ADMIN, init) || creds.HasCapabilityIn(linux.CAP_CHECKPOINT_RESTORE, init)
}
