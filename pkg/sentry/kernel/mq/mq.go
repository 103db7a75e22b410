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

// Package mq models POSIX message queues: the queue object (priority order,
// blocking senders and receivers, notification, peek by index) and the
// per-IPC-namespace registry that owns their limits and accounting.
//
// It is the counterpart of Linux's ipc/mqueue.c minus the filesystem, which
// lives in package mqfs; names map to queues through that filesystem, as in
// Linux. This package does not import the kernel package (the kernel imports
// it): whatever it needs from a task arrives through context.Context or the
// small interfaces declared here.
//
// Lock ordering:
//
//	kernfs.Filesystem.mu (mqfs: create, open, unlink)
//	  mqfs.filesystem.mu (create)
//	    Registry.mu
//	      userCharges.mu
//	  Queue.mu (open, unlink)
//	    kernel.TaskSet.mu (NotifyTarget's Exited and PIDIn, signals)
//	      kernel.SignalHandlers.mu (SIGEV_SIGNAL's signal)
//	    netlink socket and unix transport locks (SIGEV_THREAD's cookie)
//	    waiter.Queue's lock (poll, select and epoll watchers)
//	      vfs.EpollInstance.readyMu
//
//	chargesByKernelMu
//
// Queue.mu is also taken under vfs.EpollInstance.interestMu (Readiness,
// EventRegister, EventUnregister) and under the lock of
// vfs.DynamicBytesFileDescriptionImpl (the status line a read of the
// queue's file returns). Queue.mu and Registry.mu are never held together:
// a queue returns its charge (Registry.release) after unlocking, under
// kernfs.Filesystem.mu when an unlink releases it.
//
// Under Queue.mu runs what Linux's ipc/mqueue.c runs under info->lock: the
// mq_notify signal (__do_notify's do_send_sig_info), the SIGEV_THREAD
// cookie sent on its netlink socket (netlink_sendskb, for NOTIFY_WOKENUP and
// NOTIFY_REMOVED alike), the registrant's pid for the status line, and the
// wake-up of poll and select watchers (wake_up(&info->wait_q)). The
// hand-over of a message to a blocked task completes its Waiter there too:
// a non-blocking channel send, where Linux queues the task with wake_q_add
// under the lock and wakes it after unlocking; the wake-up proper is the Go
// scheduler's.
//
// Outside it runs what Linux runs outside: copies to and from user memory
// (the syscall layer's, and F_MQ_PEEK's: a queued message's data is never
// written to, so it is read without the lock), and the release of an ended
// registration's SIGEV_THREAD socket (NotifyTarget.Release, from
// Queue.unlock). Linux drops a struct sock reference inside netlink_sendskb,
// which cannot sleep; dropping a file's last reference runs the socket's
// release, which takes the socket's locks.
package mq

import (
	"math"

	"gvisor.dev/gvisor/pkg/abi/linux"
)

// MaxName is the longest queue name (without the leading slash glibc strips).
const MaxName = linux.NAME_MAX

// Per-namespace limit bounds, as in Linux's ipc/mq_sysctl.c.
const (
	MsgMaxMin       = linux.MIN_MSGMAX
	MsgMaxHard      = linux.HARD_MSGMAX
	MsgSizeMaxMin   = linux.MIN_MSGSIZEMAX
	MsgSizeMaxHard  = linux.HARD_MSGSIZEMAX
	defaultQueueMax = linux.DFLT_QUEUESMAX
)

// Accounting overheads charged against RLIMIT_MSGQUEUE besides the payload,
// matching Linux's sizeof(struct msg_msg) and sizeof(struct
// posix_msg_tree_node) on 64-bit so that programs hit the limit where they
// would on Linux.
const (
	perMessageOverhead  = 48
	perPriorityOverhead = 48
)

// Limits are the tunables under /proc/sys/fs/mqueue of one IPC namespace.
//
// +stateify savable
type Limits struct {
	QueuesMax      int64
	MsgMax         int64
	MsgSizeMax     int64
	MsgDefault     int64
	MsgSizeDefault int64
}

// valid reports whether the sysctls under /proc/sys/fs/mqueue accept l
// (Linux's ipc/mq_sysctl.c bounds).
func (l Limits) valid() bool {
	return l.QueuesMax >= math.MinInt32 && l.QueuesMax <= math.MaxInt32 &&
		l.MsgMax >= MsgMaxMin && l.MsgMax <= MsgMaxHard &&
		l.MsgDefault >= MsgMaxMin && l.MsgDefault <= MsgMaxHard &&
		l.MsgSizeMax >= MsgSizeMaxMin && l.MsgSizeMax <= MsgSizeMaxHard &&
		l.MsgSizeDefault >= MsgSizeMaxMin && l.MsgSizeDefault <= MsgSizeMaxHard
}

// DefaultLimits are the values a new IPC namespace starts with.
func DefaultLimits() Limits {
	return Limits{
		QueuesMax:      defaultQueueMax,
		MsgMax:         linux.DFLT_MSGMAX,
		MsgSizeMax:     linux.DFLT_MSGSIZEMAX,
		MsgDefault:     int64(linux.DFLT_MSG),
		MsgSizeDefault: int64(linux.DFLT_MSGSIZE),
	}
}

// Attr is the geometry of a queue fixed at creation.
//
// +stateify savable
type Attr struct {
	MaxMessages    int64
	MaxMessageSize int64
}

// chargedBytes is what a queue of this geometry costs its creator under
// RLIMIT_MSGQUEUE, computed the way Linux's mqueue_get_inode does.
func (a Attr) chargedBytes() uint64 {
	tree := uint64(a.MaxMessages) * perMessageOverhead
	tree += uint64(min(a.MaxMessages, linux.MQ_PRIO_MAX)) * perPriorityOverhead
	return uint64(a.MaxMessages)*uint64(a.MaxMessageSize) + tree
}
