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
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	"gvisor.dev/gvisor/pkg/sentry/memmap"
	"gvisor.dev/gvisor/pkg/sentry/mm"
	"gvisor.dev/gvisor/pkg/sentry/vfs"
)

// mappingLister is the accessor mqsentry adds to gVisor's
// mm.MemoryManager (_shims/mm): each vma's bounds and MappingIdentity, in
// address order, with the address space's mapping lock held.
type mappingLister interface {
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

// withMM calls fn with t's address space, kept alive for the call; it
// returns false without calling fn when t has none (it has exited) or the
// build lacks mqsentry's mm accessor.
func withMM(ctx context.Context, t *kernel.Task, fn func(l mappingLister)) bool {
	var m *mm.MemoryManager
	t.WithMuLocked(func(t *kernel.Task) { m = t.MemoryManager() })
	if m == nil || !m.IncUsers() {
		return false
	}
	defer m.DecUsers(ctx)
	l, ok := any(m).(mappingLister)
	if !ok {
		return false
	}
	fn(l)
	return true
}

// fileMappings lists t's mappings of files in address order.
func fileMappings(ctx context.Context, t *kernel.Task) []fileMapping {
	var maps []fileMapping
	withMM(ctx, t, func(l mappingLister) {
		l.ForEachMapping(func(start, end hostarch.Addr, id memmap.MappingIdentity) bool {
			if fd, ok := id.(*vfs.FileDescription); ok {
				maps = append(maps, fileMapping{
					start: uint64(start), end: uint64(end),
					readable: fd.IsReadable(), writable: fd.IsWritable(),
				})
			}
			return true
		})
	})
	return maps
}

// mappedFile returns the file of t's mapping that is exactly [start, end)
// (Linux's find_exact_vma with a vm_file), with a reference for the caller,
// or nil.
func mappedFile(ctx context.Context, t *kernel.Task, start, end uint64) *vfs.FileDescription {
	var file *vfs.FileDescription
	withMM(ctx, t, func(l mappingLister) {
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
