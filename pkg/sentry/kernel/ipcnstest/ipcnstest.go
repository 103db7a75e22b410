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

// Package ipcnstest stands in for gVisor's kernel.IPCNamespace in tests: a
// namespace's POSIX and SysV registries reachable from a context the way a
// task's context reaches them (the value of ipc.CtxIPCNamespace), without
// a kernel.
package ipcnstest

import (
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/kernel/auth"
	gvipc "gvisor.dev/gvisor/pkg/sentry/kernel/ipc"

	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"
	"github.com/mqsentry/mqsentry/pkg/sentry/kernel/msgqueue"
)

// Namespace is an IPC namespace's message queue registries.
type Namespace struct {
	Posix *mq.Registry
	SysV  *msgqueue.Registry
}

// PosixQueues is kernel.IPCNamespace.PosixQueues.
func (n *Namespace) PosixQueues() *mq.Registry { return n.Posix }

// MsgqueueRegistry is kernel.IPCNamespace.MsgqueueRegistry.
func (n *Namespace) MsgqueueRegistry() *msgqueue.Registry { return n.SysV }

// DecRef is kernel.IPCNamespace.DecRef; the namespace is not counted.
func (n *Namespace) DecRef(context.Context) {}

// noFilesystem is a POSIX registry's filesystem when no queue is opened.
type noFilesystem struct{}

func (noFilesystem) Bind(*mq.Registry)       {}
func (noFilesystem) Destroy(context.Context) {}

// namespaceContext gives its namespace as ipc.CtxIPCNamespace.
type namespaceContext struct {
	context.Context
	ns *Namespace
}

// Value implements context.Context.Value.
func (c namespaceContext) Value(key any) any {
	if key == gvipc.CtxIPCNamespace {
		return c.ns
	}
	return c.Context.Value(key)
}

// New returns a new namespace owned by a root user namespace, with Linux's
// default limits, and a context in it.
func New() (context.Context, *Namespace) {
	userNS := auth.NewRootUserNamespace()
	ns := &Namespace{
		Posix: mq.NewRegistry(userNS, noFilesystem{}),
		SysV:  msgqueue.NewRegistry(userNS),
	}
	return namespaceContext{context.Background(), ns}, ns
}
