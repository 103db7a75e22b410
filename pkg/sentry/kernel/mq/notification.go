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

package mq

import (
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// NotifyTarget is the process registered with mq_notify. It is implemented
// by the syscall layer, which knows thread groups and signals.
type NotifyTarget interface {
	// IsCaller reports whether the process of ctx is the target.
	IsCaller(ctx context.Context) bool

	// PIDIn returns the target's process id as seen from ctx's pid
	// namespace, or 0 when it is not visible there.
	PIDIn(ctx context.Context) int32

	// Notify delivers reg's event; ctx is the sender's.
	Notify(ctx context.Context, reg *Registration)

	// Removed tells the target its registration ended without firing
	// (unregistered, or its descriptor closed), which SIGEV_THREAD reports
	// to user space.
	Removed(ctx context.Context)

	// Release lets go of what the registration holds (SIGEV_THREAD's
	// socket) once it ended by Notify or Removed. The queue calls it after
	// unlocking, while Notify and Removed run under its lock: see the
	// package comment.
	Release(ctx context.Context)

	// Exited reports whether the target process has exited. Linux drops a
	// registration when the registrant's descriptors are closed at exit;
	// the Sentry does not tell descriptions about exits, so the queue asks.
	Exited() bool
}

// registrationLocked returns the live registration, dropping one whose
// process has exited.
//
// +checklocks:q.mu
func (q *Queue) registrationLocked(ctx context.Context) *Registration {
	if q.registration != nil && q.registration.Target.Exited() {
		q.removeLocked(ctx)
	}
	return q.registration
}

// removeLocked ends the registration without firing it.
//
// +checklocks:q.mu
func (q *Queue) removeLocked(ctx context.Context) {
	reg := q.registration
	q.registration = nil
	reg.Target.Removed(ctx)
	q.ended = reg
}

// Registration is one mq_notify registration.
//
// +stateify savable
type Registration struct {
	Target NotifyTarget
	// Method is the sigev_notify value (SIGEV_SIGNAL, SIGEV_NONE or
	// SIGEV_THREAD).
	Method int32
	Signo  int32
	Value  uint64
}

// Notify registers reg for q, or with reg == nil removes the caller's
// registration (a no-op for any other process), as mq_notify does.
func (q *Queue) Notify(ctx context.Context, reg *Registration) error {
	q.mu.Lock()
	defer q.unlock(ctx)
	current := q.registrationLocked(ctx)
	if reg == nil {
		if current != nil && current.Target.IsCaller(ctx) {
			q.removeLocked(ctx)
		}
		return nil
	}
	if current != nil {
		return linuxerr.EBUSY
	}
	q.registration = reg
	return nil
}

// Flush drops the registration of the process of ctx when it closes a
// descriptor of q, as Linux's mqueue_flush_file does.
func (q *Queue) Flush(ctx context.Context) {
	q.mu.Lock()
	defer q.unlock(ctx)
	if q.registration != nil && q.registration.Target.IsCaller(ctx) {
		q.removeLocked(ctx)
	}
}

// fireLocked sends the registered notification, once: the registration is
// consumed by firing.
//
// +checklocks:q.mu
func (q *Queue) fireLocked(ctx context.Context) {
	reg := q.registrationLocked(ctx)
	if reg == nil {
		return
	}
	q.registration = nil
	if reg.Method != linux.SIGEV_NONE {
		reg.Target.Notify(ctx, reg)
	}
	q.ended = reg
}
