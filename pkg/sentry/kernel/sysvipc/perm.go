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

// Package sysvipc models what Linux's System V IPC mechanisms share within one
// IPC namespace (ipc/util.c, ipc/namespace.c): the table of objects with its
// ids (sequence * 32768 + index, indexes allocated cyclically as
// ipc_idr_alloc does), keys and IPC_PRIVATE, the checkpoint/restore "next id"
// (msg_next_id and friends), the highest index in use that IPC_INFO reports,
// lookup by index for the *_STAT commands, and the permission rules of
// kern_ipc_perm: ipcperms() with owner and creator ids and CAP_IPC_OWNER, and
// the owner/creator/CAP_SYS_ADMIN rule of IPC_SET and IPC_RMID.
//
// The package knows nothing of any one mechanism (message queues, package
// msgqueue, keep their own state next to a Perm) and does not import the
// kernel package.
//
// Lock ordering:
//
//	(the mechanism's registry lock: msgqueue.Registry.mu)
//	  Object.Lock (msgqueue.Queue.mu)
//
// The package has no lock of its own. Its Registry is serialized by the
// mechanism's registry lock, under which Registry.Get takes an existing
// object's lock to check the caller's permission, as Linux's ipcget takes
// the object's spinlock under the ids rwsem.
package sysvipc

import (
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
)

// Key is the user's name for an object (key_t); IPCPrivate asks for a new,
// unnamed object.
type Key int32

// IPCPrivate is IPC_PRIVATE.
const IPCPrivate Key = linux.IPC_PRIVATE

// ID is the kernel's identifier of an object: Seq*IndexCount + index.
type ID int32

// Id layout (Linux without ipcmni_extend).
const (
	// IndexCount is IPCMNI: indexes are in [0, IndexCount).
	IndexCount = 32768
	// seqShift is ipcmni_seq_shift().
	seqShift = 15
	// SeqMax is ipcid_seq_max(): sequence numbers are in [0, SeqMax).
	SeqMax = (1<<31 - 1) >> seqShift
	// minCycle is ipc_min_cycle: the cyclic allocation spans at least
	// this many indexes.
	minCycle = 64
)

// Index returns the index part of id (ipcid_to_idx).
func (id ID) Index() int32 { return int32(id) & (IndexCount - 1) }

// Seq returns the sequence part of id (ipcid_to_seqx).
func (id ID) Seq() int32 { return int32(id) >> seqShift }

// MakeID builds an id from a sequence number and an index.
func MakeID(seq, index int32) ID { return ID(seq<<seqShift + index) }

// Permission bits asked for by the mechanisms' operations (S_IRUGO and
// S_IWUGO in Linux).
const (
	ReadAccess  = 0444
	WriteAccess = 0222
)

// Perm is an object's identity and access rules, Linux's kern_ipc_perm.
//
// Key and ID are fixed once the object is registered. The owner ids and the
// mode change with IPC_SET: the mechanism that embeds the Perm protects them
// with its own lock (see Object).
//
// +stateify savable
type Perm struct {
	Key Key
	ID  ID

	// UID and GID are the owner's, changed by IPC_SET.
	UID auth.KUID
	GID auth.KGID
	// CUID and CGID are the creator's, fixed.
	CUID auth.KUID
	CGID auth.KGID
	// Mode holds the low 9 permission bits.
	Mode uint16
}

// NewPerm returns the Perm of an object that creds create under key: owner
// and creator are creds' effective ids (ipc_addid), the mode is the low 9
// bits of flag.
func NewPerm(creds *auth.Credentials, key Key, flag int32) Perm {
	return Perm{
		Key:  key,
		UID:  creds.EffectiveKUID,
		GID:  creds.EffectiveKGID,
		CUID: creds.EffectiveKUID,
		CGID: creds.EffectiveKGID,
		Mode: uint16(flag & 0777),
	}
}

// Permitted reports whether creds may access the object as flag asks, as
// Linux's ipcperms() decides: flag's rwx bits in any of the three classes
// are the requested access (so msgget's flag, ReadAccess and WriteAccess all
// work). The owner class applies when the effective uid is the owner's or
// the creator's, the group class when the caller is in the owner's or the
// creator's group; CAP_IPC_OWNER in userNS (the IPC namespace's user
// namespace) grants everything. CAP_DAC_OVERRIDE plays no part.
func (p *Perm) Permitted(creds *auth.Credentials, userNS *auth.UserNamespace, flag uint16) bool {
	requested := (flag>>6 | flag>>3 | flag) & 07
	granted := p.Mode
	switch {
	case creds.EffectiveKUID == p.CUID || creds.EffectiveKUID == p.UID:
		granted >>= 6
	case creds.InGroup(p.CGID) || creds.InGroup(p.GID):
		granted >>= 3
	}
	if requested&^granted&07 == 0 {
		return true
	}
	return creds.HasCapabilityIn(linux.CAP_IPC_OWNER, userNS)
}

// MayControl reports whether creds may IPC_SET or IPC_RMID the object
// (ipcctl_obtain_check): its owner, its creator, or CAP_SYS_ADMIN in userNS.
// CAP_IPC_OWNER does not help.
func (p *Perm) MayControl(creds *auth.Credentials, userNS *auth.UserNamespace) bool {
	return creds.EffectiveKUID == p.UID || creds.EffectiveKUID == p.CUID ||
		creds.HasCapabilityIn(linux.CAP_SYS_ADMIN, userNS)
}

// Update applies IPC_SET's owner and mode (ipc_update_perm): uid and gid are
// read in creds' user namespace, EINVAL if they do not map; only the low 9
// bits of mode are taken.
func (p *Perm) Update(creds *auth.Credentials, uid, gid uint32, mode uint32) error {
	kuid := creds.UserNamespace.MapToKUID(auth.UID(uid))
	kgid := creds.UserNamespace.MapToKGID(auth.GID(gid))
	if !kuid.Ok() || !kgid.Ok() {
		return linuxerr.EINVAL
	}
	p.UID, p.GID = kuid, kgid
	p.Mode = uint16(mode & 0777)
	return nil
}

// ABI returns the struct ipc64_perm that a caller in userNS sees: ids that
// do not map there read as the overflow ids (from_kuid_munged).
func (p *Perm) ABI(userNS *auth.UserNamespace) linux.IPCPerm {
	return linux.IPCPerm{
		Key:  uint32(p.Key),
		UID:  uint32(userNS.MapFromKUID(p.UID).OrOverflow()),
		GID:  uint32(userNS.MapFromKGID(p.GID).OrOverflow()),
		CUID: uint32(userNS.MapFromKUID(p.CUID).OrOverflow()),
		CGID: uint32(userNS.MapFromKGID(p.CGID).OrOverflow()),
		Mode: p.Mode,
		Seq:  uint16(p.ID.Seq()),
	}
}
