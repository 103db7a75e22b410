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

// Syscall tests for System V message queues: msgsnd(2): argument checks, full
// queues, blocking, EIDRM, EINTR, EFAULT and the times and pids it records.
// Shared helpers and conventions: msg_util.h.
#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "msg_util.h"
#include "test_util.h"

namespace mqtest {
namespace {

// ===========================================================================
// msgsnd

TEST(MsgqueueTest, MsgSndInvalidIdIsEinval) {
  EXPECT_ERRNO(Send(-1, 1, "x"), EINVAL);
  int id;
  ASSERT_NO_FATAL_FAILURE(RemovedQueueId(&id));
  EXPECT_ERRNO(Send(id, 1, "x"), EINVAL);
  EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EINVAL);
}

TEST(MsgqueueTest, MsgSndTypeBelowOneIsEinval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(Send(q.id(), 0, "x"), EINVAL);
  EXPECT_ERRNO(Send(q.id(), -1, "x"), EINVAL);
  EXPECT_ERRNO(Send(q.id(), LONG_MIN, "x"), EINVAL);
  EXPECT_OK(Send(q.id(), 1, "x"));
  EXPECT_OK(Send(q.id(), LONG_MAX, "x"));
}

TEST(MsgqueueTest, MsgSndBadSizeIsEinval) {
  long msgmax = ReadProcInt(kMsgmax);
  long msgmnb = ReadProcInt(kMsgmnb);
  ASSERT_GT(msgmax, 0);
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  EXPECT_ERRNO(Send(q.id(), 1, std::string(msgmax + 1, 'a')), EINVAL);
  if (msgmax <= msgmnb) {
    EXPECT_OK(Send(q.id(), 1, std::string(msgmax, 'a'), IPC_NOWAIT));
  }
  // A "negative" size.
  char buf[64] = {};
  long type = 1;
  memcpy(buf, &type, sizeof(type));
  EXPECT_ERRNO(msgsnd(q.id(), buf, static_cast<size_t>(-1), IPC_NOWAIT),
               EINVAL);
  EXPECT_ERRNO(msgsnd(q.id(), buf, static_cast<size_t>(LONG_MIN), IPC_NOWAIT),
               EINVAL);
}

TEST(MsgqueueTest, MsgSndWithoutWritePermissionIsEacces) {
  Queue q = Queue::Private(0644);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EACCES);
    EXPECT_ERRNO(Send(id, 1, "x"), EACCES);
  });
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 0));
}

TEST(MsgqueueTest, MsgSndFullBytesNoWaitIsEagain) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(SetQbytes(q.id(), 10), 0) << strerror(errno);
  MaybeSave();
  EXPECT_OK(Send(q.id(), 1, "123456", IPC_NOWAIT));
  // cbytes + size > qbytes.
  EXPECT_ERRNO(Send(q.id(), 1, "12345", IPC_NOWAIT), EAGAIN);
  // cbytes + size == qbytes still fits.
  EXPECT_OK(Send(q.id(), 1, "1234", IPC_NOWAIT));
  EXPECT_ERRNO(Send(q.id(), 1, "1", IPC_NOWAIT), EAGAIN);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 2, 10));
}

TEST(MsgqueueTest, MsgSndFullCountNoWaitIsEagain) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_EQ(SetQbytes(q.id(), 2), 0) << strerror(errno);
  MaybeSave();
  // Zero-length messages: only qnum + 1 > qbytes limits them.
  EXPECT_OK(Send(q.id(), 1, "", IPC_NOWAIT));
  EXPECT_OK(Send(q.id(), 1, "", IPC_NOWAIT));
  EXPECT_ERRNO(Send(q.id(), 1, "", IPC_NOWAIT), EAGAIN);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 2, 0));
}

TEST(MsgqueueTest, MsgSndBlocksUntilReceive) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(FillQueue(id, "0123456789"));

  AsyncChild sender(
      [&] { EXPECT_EQ(Send(id, 2, "hello"), 0) << strerror(errno); });
  ASSERT_NO_FATAL_FAILURE(
      ExpectBlocked(sender, "msgsnd did not block on a full queue"));

  Received m;
  ASSERT_EQ(Recv(id, &m, 64, 1, IPC_NOWAIT), 10) << strerror(errno);
  EXPECT_EQ(sender.Wait(), 0);

  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 1, 5));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(id, 0, IPC_NOWAIT, {2, "hello"}));
}

TEST(MsgqueueTest, MsgSndBlockedSenderGetsEidrmOnRemoval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(FillQueue(id, "12345"));

  AsyncChild sender([&] { EXPECT_ERRNO(Send(id, 1, "x"), EIDRM); });
  ASSERT_NO_FATAL_FAILURE(
      ExpectBlocked(sender, "msgsnd did not block on a full queue"));
  ASSERT_EQ(MsgCtl(q.release(), IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_EQ(sender.Wait(), 0);
}

// SysV IPC calls are never restarted: EINTR even with SA_RESTART.
TEST(MsgqueueTest, MsgSndInterruptedBySignalIsEintrEvenWithSaRestart) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(FillQueue(id, "12345"));
  ExpectEintrEvenWithSaRestart([&] { return Send(id, 1, "x"); });
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 1, 5));
}

TEST(MsgqueueTest, MsgSndBadAddressIsEfault) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  EXPECT_ERRNO(msgsnd(q.id(), bad.get(), 5, IPC_NOWAIT), EFAULT);
  EXPECT_ERRNO(msgsnd(q.id(), bad.get(), 0, IPC_NOWAIT), EFAULT);

  // mtype readable, mtext in an inaccessible page.
  char* two = static_cast<char*>(mmap(nullptr, 8192, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(two, MAP_FAILED);
  ASSERT_EQ(mprotect(two + 4096, 4096, PROT_NONE), 0);
  long type = 1;
  memcpy(two + 4096 - sizeof(long), &type, sizeof(long));
  EXPECT_ERRNO(msgsnd(q.id(), two + 4096 - sizeof(long), 5, IPC_NOWAIT),
               EFAULT);
  // Zero-length: mtext is not read.
  EXPECT_OK(msgsnd(q.id(), two + 4096 - sizeof(long), 0, IPC_NOWAIT));
  munmap(two, 8192);

  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1, 0));
}

// Linux reads mtype before validating the id: a bad msgp wins over a bad id.
TEST(MsgqueueTest, MsgSndBadAddressCheckedBeforeId) {
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  EXPECT_ERRNO(msgsnd(-1, bad.get(), 5, IPC_NOWAIT), EFAULT);
  int id;
  ASSERT_NO_FATAL_FAILURE(RemovedQueueId(&id));
  EXPECT_ERRNO(msgsnd(id, bad.get(), 5, IPC_NOWAIT), EFAULT);
}

TEST(MsgqueueTest, MsgSndAndMsgRcvUpdateStat) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  time_t t0 = time(nullptr);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 3, "hello"));
  time_t t1 = time(nullptr);
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_qnum, 1u);
  EXPECT_EQ(ds.__msg_cbytes, 5u);
  EXPECT_EQ(ds.msg_lspid, getpid());
  EXPECT_EQ(ds.msg_lrpid, 0);
  EXPECT_GE(ds.msg_stime, t0);
  EXPECT_LE(ds.msg_stime, t1);
  EXPECT_EQ(ds.msg_rtime, 0);

  Received m;
  ASSERT_EQ(Recv(q.id(), &m, 64, 0, IPC_NOWAIT), 5) << strerror(errno);
  time_t t2 = time(nullptr);
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_qnum, 0u);
  EXPECT_EQ(ds.__msg_cbytes, 0u);
  EXPECT_EQ(ds.msg_lspid, getpid());
  EXPECT_EQ(ds.msg_lrpid, getpid());
  EXPECT_GE(ds.msg_rtime, t1);
  EXPECT_LE(ds.msg_rtime, t2);
}

}  // namespace
}  // namespace mqtest
