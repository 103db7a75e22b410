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
