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

// Syscall tests for System V message queues: msgrcv(2): message selection by
// type, MSG_EXCEPT, MSG_NOERROR, MSG_COPY, blocking, EIDRM, EINTR and EFAULT.
// Shared helpers and conventions: msg_util.h.
#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>
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
// msgrcv

TEST(MsgqueueTest, MsgRcvTypeZeroReturnsFirstMessage) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(q.id(), {{3, "c"}, {1, "a"}, {2, "b"}}));
  for (const Message& want : std::vector<Message>{{3, "c"}, {1, "a"}, {2, "b"}}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 0, IPC_NOWAIT, want));
  }
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 0, IPC_NOWAIT), ENOMSG);
}

TEST(MsgqueueTest, MsgRcvPositiveTypeFifoWithinType) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(
      q.id(), {{1, "a1"}, {2, "b1"}, {1, "a2"}, {2, "b2"}, {2, "b3"}}));
  for (const char* want : {"b1", "b2", "b3"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 2, IPC_NOWAIT, {2, want}));
  }
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 2, IPC_NOWAIT), ENOMSG);
  for (const char* want : {"a1", "a2"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 1, IPC_NOWAIT, {1, want}));
  }
}

TEST(MsgqueueTest, MsgRcvNegativeTypeReturnsFirstOfLowestType) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(
      q.id(), {{2, "a"}, {3, "b"}, {1, "c"}, {1, "d"}, {5, "e"}}));
  for (const Message& want : std::vector<Message>{{1, "c"}, {1, "d"}, {2, "a"}}) {
    ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), -3, IPC_NOWAIT, want));
  }
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), -4, IPC_NOWAIT, {3, "b"}));
  // Only type 5 is left: nothing <= 4.
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, -4, IPC_NOWAIT), ENOMSG);
  ASSERT_EQ(Recv(q.id(), &m, 64, LONG_MIN, IPC_NOWAIT), 1) << strerror(errno);
  EXPECT_EQ(m.type, 5);
}

// A message whose type equals |msgtyp| matches (gVisor got this wrong).
TEST(MsgqueueTest, MsgRcvNegativeTypeIncludesEquality) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(q.id(), {{3, "three"}, {2, "two"}}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), -2, IPC_NOWAIT, {2, "two"}));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, -2, IPC_NOWAIT), ENOMSG);
  ASSERT_EQ(Recv(q.id(), &m, 64, -3, IPC_NOWAIT), 5) << strerror(errno);
  EXPECT_EQ(m.type, 3);
  // Type 1 with msgtyp -1.
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "one"));
  ASSERT_EQ(Recv(q.id(), &m, 64, -1, IPC_NOWAIT), 3) << strerror(errno);
  EXPECT_EQ(m.type, 1);
}

TEST(MsgqueueTest, MsgRcvExceptReturnsFirstOfOtherType) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(
      SendAll(q.id(), {{1, "a"}, {2, "b"}, {1, "c"}, {3, "d"}}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 1, IPC_NOWAIT | MSG_EXCEPT, {2, "b"}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 1, IPC_NOWAIT | MSG_EXCEPT, {3, "d"}));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 1, IPC_NOWAIT | MSG_EXCEPT), ENOMSG);
  // MSG_EXCEPT with msgtyp 0 is the same as msgtyp 0: first message.
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 0, IPC_NOWAIT | MSG_EXCEPT, {1, "a"}));
}

TEST(MsgqueueTest, MsgRcvTooLongIsE2bigAndMessageStays) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "hello"));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 4, 0, IPC_NOWAIT), E2BIG);
  EXPECT_ERRNO(Recv(q.id(), &m, 0, 0, 0), E2BIG);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1, 5));
  ASSERT_EQ(Recv(q.id(), &m, 5, 0, IPC_NOWAIT), 5) << strerror(errno);
  EXPECT_EQ(m.text, "hello");
}

TEST(MsgqueueTest, MsgRcvNoErrorTruncatesAndRemoves) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 7, "hello world"));
  ASSERT_NO_FATAL_FAILURE(
      ExpectRecv(q.id(), 0, IPC_NOWAIT | MSG_NOERROR, {7, "hello"}, 5));
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 0, 0));
}

TEST(MsgqueueTest, MsgRcvNoWaitWithoutMatchIsEnomsg) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 0, IPC_NOWAIT), ENOMSG);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 2, "x"));
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 1, IPC_NOWAIT), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 3, IPC_NOWAIT), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, -1, IPC_NOWAIT), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 2, IPC_NOWAIT | MSG_EXCEPT), ENOMSG);
}

TEST(MsgqueueTest, MsgRcvInvalidArgumentsAreEinval) {
  Received m;
  EXPECT_ERRNO(Recv(-1, &m, 64, 0, IPC_NOWAIT), EINVAL);
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  char buf[64];
  EXPECT_ERRNO(msgrcv(q.id(), buf, static_cast<size_t>(-1), 0, IPC_NOWAIT),
               EINVAL);
  int id = q.release();
  ASSERT_EQ(MsgCtl(id, IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_ERRNO(Recv(id, &m, 64, 0, IPC_NOWAIT), EINVAL);
  EXPECT_ERRNO(Recv(id, &m, 64, 0, 0), EINVAL);
}

TEST(MsgqueueTest, MsgRcvWithoutReadPermissionIsEacces) {
  Queue q = Queue::Private(0622);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ASSERT_NO_FATAL_FAILURE(SendThenSave(id, 1, "x"));
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    Received m;
    EXPECT_ERRNO(Recv(id, &m, 64, 0, IPC_NOWAIT), EACCES);
    EXPECT_ERRNO(Recv(id, &m, 64, 0, 0), EACCES);
    // Write is granted to others.
    EXPECT_OK(Send(id, 1, "y", IPC_NOWAIT));
  });
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 2));
}

TEST(MsgqueueTest, MsgRcvBlocksUntilMatchingSend) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  AsyncChild receiver([&] {
    Received m;
    EXPECT_EQ(Recv(id, &m, 64, 2, 0), 3) << strerror(errno);
    EXPECT_EQ(m.type, 2);
    EXPECT_EQ(m.text, "two");
  });
  ASSERT_NO_FATAL_FAILURE(ExpectBlocked(receiver, "msgrcv did not block"));

  // A message of another type does not wake it.
  ASSERT_NO_FATAL_FAILURE(SendThenSave(id, 1, "one"));
  SleepMs(kBlockDelayMs);
  MaybeSave();
  EXPECT_TRUE(receiver.Running()) << "msgrcv took a non-matching message";

  ASSERT_NO_FATAL_FAILURE(SendThenSave(id, 2, "two"));
  EXPECT_EQ(receiver.Wait(), 0);

  ASSERT_NO_FATAL_FAILURE(ExpectQueued(id, 1));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(id, 0, IPC_NOWAIT, {1, "one"}));
}

TEST(MsgqueueTest, MsgRcvBlockedReceiverGetsEidrmOnRemoval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  AsyncChild receiver([&] {
    Received m;
    EXPECT_ERRNO(Recv(id, &m, 64, 0, 0), EIDRM);
  });
  ASSERT_NO_FATAL_FAILURE(ExpectBlocked(receiver, "msgrcv did not block"));
  ASSERT_EQ(MsgCtl(q.release(), IPC_RMID, nullptr), 0) << strerror(errno);
  EXPECT_EQ(receiver.Wait(), 0);
}

TEST(MsgqueueTest, MsgRcvInterruptedBySignalIsEintrEvenWithSaRestart) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  ExpectEintrEvenWithSaRestart([&] {
    Received m;
    return Recv(id, &m, 64, 0, 0);
  });
}

TEST(MsgqueueTest, MsgRcvCopyIndexesWithoutRemoving) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendAll(q.id(), {{1, "a"}, {2, "bb"}, {3, "ccc"}}));
  // msgtyp is a 0-based index in queue order.
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 0, IPC_NOWAIT | MSG_COPY, {1, "a"}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 2, IPC_NOWAIT | MSG_COPY, {3, "ccc"}));
  ASSERT_NO_FATAL_FAILURE(ExpectRecv(q.id(), 1, IPC_NOWAIT | MSG_COPY, {2, "bb"}));
  Received m;
  // Index >= qnum, and negative indexes, find nothing.
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 3, IPC_NOWAIT | MSG_COPY), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 100, IPC_NOWAIT | MSG_COPY), ENOMSG);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, -1, IPC_NOWAIT | MSG_COPY), ENOMSG);

  // Nothing was removed and no receive was recorded.
  struct msqid_ds ds = {};
  ASSERT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
  EXPECT_EQ(ds.msg_qnum, 3u);
  EXPECT_EQ(ds.__msg_cbytes, 6u);
  EXPECT_EQ(ds.msg_lrpid, 0);
  EXPECT_EQ(ds.msg_rtime, 0);

  // After a real receive, index 0 is the new head.
  ASSERT_EQ(Recv(q.id(), &m, 64, 0, IPC_NOWAIT), 1) << strerror(errno);
  EXPECT_EQ(m.text, "a");
  ASSERT_EQ(Recv(q.id(), &m, 64, 0, IPC_NOWAIT | MSG_COPY), 2)
      << strerror(errno);
  EXPECT_EQ(m.text, "bb");
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 2, IPC_NOWAIT | MSG_COPY), ENOMSG);
}

TEST(MsgqueueTest, MsgRcvCopyWithoutNoWaitIsEinval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "a"));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 0, MSG_COPY), EINVAL);
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 5, MSG_COPY), EINVAL);
}

TEST(MsgqueueTest, MsgRcvCopyWithExceptIsEinval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "a"));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 64, 0, IPC_NOWAIT | MSG_COPY | MSG_EXCEPT),
               EINVAL);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1));
}

// Too small a buffer: E2BIG; with MSG_NOERROR added Linux gives EINVAL
// instead of truncating.
TEST(MsgqueueTest, MsgRcvCopySmallBuffer) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "hello"));
  Received m;
  EXPECT_ERRNO(Recv(q.id(), &m, 2, 0, IPC_NOWAIT | MSG_COPY), E2BIG);
  EXPECT_ERRNO(Recv(q.id(), &m, 2, 0, IPC_NOWAIT | MSG_COPY | MSG_NOERROR),
               EINVAL);
  // An exact fit works, with or without MSG_NOERROR.
  ASSERT_EQ(Recv(q.id(), &m, 5, 0, IPC_NOWAIT | MSG_COPY | MSG_NOERROR), 5)
      << strerror(errno);
  EXPECT_EQ(m.text, "hello");
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1, 5));
}

// Linux dequeues the message before copying it out: on EFAULT it is lost.
// With MSG_COPY the buffer is touched first and the message stays.
TEST(MsgqueueTest, MsgRcvBadAddressIsEfault) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "hello"));

  EXPECT_ERRNO(msgrcv(q.id(), bad.get(), 64, 0, IPC_NOWAIT | MSG_COPY),
               EFAULT);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 1));

  EXPECT_ERRNO(msgrcv(q.id(), bad.get(), 64, 0, IPC_NOWAIT), EFAULT);
  ASSERT_NO_FATAL_FAILURE(ExpectQueued(q.id(), 0, 0));
}

}  // namespace
}  // namespace mqtest
