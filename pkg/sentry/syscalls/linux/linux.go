// Package linux implements mqsentry's system calls: the POSIX message queue
// calls (mq_open .. mq_getsetattr), the System V ones (msgget, msgsnd,
// msgrcv, msgctl), kcmp(2), and fcntl's F_MQ_PEEK in front of gVisor's
// fcntl. gVisor's syscall table reaches these handlers through the shims
// listed in build/overlay.list.
//
// This is the only mqsentry layer that knows kernel.Task; the queues below it
// receive what they need (credentials, limits, the notification target)
// through context and small interfaces.
package linux
