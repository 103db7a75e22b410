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

package netlink

import (
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/socket/unix/transport"
	"gvisor.dev/gvisor/pkg/syserr"
)

// SendRaw queues data on s as one datagram from the kernel, without a
// netlink header (Linux's netlink_sendskb). mqsentry uses it for
// mq_notify's SIGEV_THREAD cookies; it is the contract RawSender of
// mqsentry's pkg/sentry/syscalls/linux, which _shims/syscalls/linux asserts
// at compile time.
func (s *Socket) SendRaw(ctx context.Context, data []byte) *syserr.Error {
	return s.sendBufs(ctx, [][]byte{data}, transport.ControlMessages{Credentials: kernelCreds}, 0)
}
