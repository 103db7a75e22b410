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

// Helpers shared by the syscall tests, split by topic (as gVisor's
// test/util is); this header includes the general ones:
//
//   check_util.h   EXPECT_ERRNO, MaybeSave (save points of the save mode)
//   child_util.h   forked children: RunInChild, AsyncChild, EXPECT_CHILD_OK,
//                  CHILD_CHECK* for code where gtest can't be used
//   caps_util.h    capabilities, DropPrivileges, BecomeUser, kNobody
//   ns_util.h      a new IPC namespace; a user namespace rooted at nobody
//   proc_util.h    ScopedFd, /proc and other file reads/writes, ListDir,
//                  TempDir
//   time_util.h    clocks, SleepMs, WaitFor
//   thread_util.h  thread states, ThreadCall (a blocking call in a thread)
//   mq_util.h      POSIX queues: names, ScopedMq, CreateQueue, timed calls,
//                  RLIMIT_MSGQUEUE set-ups
//
// and, included directly by the tests that need them:
//
//   signal_util.h   counting signals, a restarting SIGALRM
//   kcmp_util.h     kcmp(2) and the total-order checker
//   msg_util.h      System V message queues
//   mq_notify_util.h  mq_notify registrations and their signals
//
// Everything here works natively on Linux and inside a gVisor sandbox.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_TEST_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_TEST_UTIL_H_

#include "caps_util.h"
#include "check_util.h"
#include "child_util.h"
#include "mq_util.h"
#include "ns_util.h"
#include "proc_util.h"
#include "thread_util.h"
#include "time_util.h"

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_TEST_UTIL_H_
