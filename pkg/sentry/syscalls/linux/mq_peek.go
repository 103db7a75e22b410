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
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/marshal/primitive"
	"gvisor.dev/gvisor/pkg/sentry/arch"
	"gvisor.dev/gvisor/pkg/sentry/kernel"
)

// FMqPeek is fcntl's F_MQ_PEEK command from the March 2026 Linux RFC for
// CRIU: read a queued POSIX message by index without removing it.
const FMqPeek = linux.F_LINUX_SPECIFIC_BASE + 17

// WithMqPeek wraps gVisor's fcntl handler: F_MQ_PEEK on a queue descriptor
// is ours, every other command goes to fcntl unchanged.
func WithMqPeek(fcntl kernel.SyscallFn) kernel.SyscallFn {
	return func(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) (uintptr, *kernel.SyscallControl, error) {
		if args[1].Int() != FMqPeek {
			return fcntl(t, sysno, args)
		}
		n, err := mqPeek(t, args[0].Int(), args[2].Pointer())
		return n, nil, err
	}
}

// mqPeek implements fcntl(fd, F_MQ_PEEK, attr). The queue, its times and its
// waiters are left untouched.
func mqPeek(t *kernel.Task, fd int32, attrAddr hostarch.Addr) (uintptr, error) {
	qfd, err := queueFD(t, fd)
	if err != nil {
		return 0, err
	}
	defer qfd.VFSFileDescription().DecRef(t)
	if !qfd.VFSFileDescription().IsReadable() {
		return 0, linuxerr.EBADF
	}
	raw := (*[peekAttrSize]byte)(t.CopyScratchBuffer(peekAttrSize))
	if _, err := t.CopyInBytes(attrAddr, raw[:]); err != nil {
		return 0, err
	}
	req, err := decodePeekAttr(raw)
	if err != nil {
		return 0, err
	}
	prio, n, err := qfd.Queue().Peek(req.offset, func(data []byte) (int, error) {
		if uint64(len(data)) > req.bufLen {
			data = data[:req.bufLen]
		}
		return t.CopyOutBytes(req.buf, data)
	})
	if err != nil {
		return 0, err
	}
	p := primitive.Uint32(prio)
	if _, err := p.CopyOut(t, attrAddr+peekPrioOffset); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}
