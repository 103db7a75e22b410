// Package linux implements mqsentry's system calls: the POSIX message queue
// calls (mq_open .. mq_getsetattr). gVisor's syscall table forwards to these
// handlers through the shims listed in build/overlay.list.
//
// This is the only mqsentry layer that knows kernel.Task; the queues below it
// receive what they need (credentials, limits, the notification target)
// through context and small interfaces.
package linux
