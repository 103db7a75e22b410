package netlink

import (
	"gvisor.dev/gvisor/pkg/context"
	"gvisor.dev/gvisor/pkg/sentry/socket/unix/transport"
	"gvisor.dev/gvisor/pkg/syserr"
)

// SendRaw queues data on s as one datagram from the kernel, without a
// netlink header (Linux's netlink_sendskb). mqsentry uses it for
// mq_notify's SIGEV_THREAD cookies.
func (s *Socket) SendRaw(ctx context.Context, data []byte) *syserr.Error {
	return s.sendBufs(ctx, [][]byte{data}, transport.ControlMessages{Credentials: kernelCreds}, 0)
}
