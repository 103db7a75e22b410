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

// mqstress: producers and consumers across processes and threads on POSIX
// and SysV message queues, with blocking, timeouts, signals and queue
// removal mixed in, and exact accounting of every message.
//
// Usage: mqstress [-t SECONDS] [-P PRODUCER_PROCS] [-C CONSUMER_PROCS]
//                 [-T THREADS] [-s SEED]
//
// Set-up (as root): a new IPC namespace when possible, 2 small POSIX queues
// (4 messages of 256 bytes) and 2 small SysV queues (qbytes 1200), so that
// senders block. Then:
//
//   - producer processes (P x T threads, uid/gid 65534) send messages
//     carrying (producer, sequence number, queue generation, class, length,
//     checksum) with mq_send (no timeout), mq_timedsend (1-20 ms),
//     msgsnd (blocking or IPC_NOWAIT), to random queues, priorities 0..3
//     (POSIX) and types 1..4 (SysV);
//   - consumer processes (C x T threads, uid/gid 65534) receive with
//     mq_receive (no timeout), mq_timedreceive, msgrcv with msgtyp 0, n, -n
//     or n|MSG_EXCEPT, blocking or IPC_NOWAIT;
//   - a signaller sends SIGUSR1 to every worker process every 1-4 ms.
//     Even-numbered processes handle it with SA_RESTART, odd ones without:
//     the POSIX calls of the SA_RESTART processes must never fail with EINTR
//     (Linux restarts them), SysV calls may in both (never restarted after
//     a handler), and an interrupted call must not have sent or taken a
//     message;
//   - the parent removes a queue every ~250 ms and puts a new one in its
//     place. A SysV queue is first frozen (IPC_SET mode 0: workers, not
//     root, get EACCES, blocked ones too), its qnum read, then IPC_RMID'ed;
//     exactly qnum messages of that generation may then be missing. A POSIX
//     queue is unlinked and re-created under the same name; workers move to
//     the new one, and the parent drains the old one through its own
//     descriptor until no producer holds it, so no message is lost.
//
// At the end every message a send reported as sent must have been received
// exactly once, intact, from the queue generation it was sent to, in FIFO
// order per producer and class as each consumer thread saw it — except
// exactly the frozen count of each removed SysV generation — and no message
// whose send failed may ever be received. The last line is "MQSTRESS PASS"
// (exit 0) or "MQSTRESS FAIL" (exit 1). Build:
// gcc -O2 -Wall -static -pthread -o mqstress mqstress.c -lrt
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/ledger.h"

#define NPQ 2
#define NSQ 2
#define MAXPROD 64
#define MAXCONS 64
#define MAXSEQ (1 << 19)
#define MAXGEN 16384
#define GENSLOTS 1024  // FIFO check: generations this far apart never overlap
#define NCLS 4
#define PQ_MAXMSG 4
#define PQ_MSGSIZE 256
#define SQ_QBYTES 1200
#define MAGIC 0x57e55e5u
#define STOP_MAGIC 0x5709u
#define NOBODY 65534

enum { ST_NONE, ST_ATTEMPT, ST_OK, ST_FAILED };

struct shared {
  volatile int stop_producers, stop_consumers, stop_signaller;
  int nprod, ncons;  // threads
  pthread_mutex_t pslot_lock[NPQ];
  uint32_t pslot_gen[NPQ];
  uint64_t sslot[NSQ];  // (gen << 32) | id
  uint32_t next_gen;
  uint8_t gen_kind[MAXGEN];   // 1 POSIX, 2 SysV
  uint8_t gen_frozen[MAXGEN];  // SysV: frozen (then removed)
  int64_t gen_frozen_qnum[MAXGEN];
  int32_t gen_holders[MAXGEN];  // POSIX: producer threads holding a descriptor
  uint32_t nseq[MAXPROD];
  uint64_t eintr_posix[2], eintr_sysv[2];  // by SA_RESTART (1) or not (0)
  uint64_t sends, receives, timeouts, drained_by_remover, rotations[2], signals;
  uint32_t nfail;
  char faillog[32][240];
  uint8_t state[MAXPROD][MAXSEQ];
  uint8_t recvd[MAXPROD][MAXSEQ];
  uint16_t mgen[MAXPROD][MAXSEQ];
};

static struct shared* S;
static char pq_name[NPQ][40];
static __thread int who = -1;  // producer or consumer thread id, for messages

static void fail(const char* fmt, ...) {
  char buf[240];
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(buf, sizeof(buf), "[pid %d thread %d] ", getpid(), who);
  vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
  va_end(ap);
  uint32_t k = __atomic_fetch_add(&S->nfail, 1, __ATOMIC_SEQ_CST);
  if (k < 32) memcpy(S->faillog[k], buf, sizeof(buf));
  if (k < 50) fprintf(stderr, "FAIL: %s\n", buf);
}

static __thread uint64_t rng;
static uint32_t rn(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return n ? (uint32_t)(rng % n) : 0;
}



static int build(char* buf, int maxbody, int prod, uint32_t seq, uint32_t gen, uint32_t cls) {
  struct ledger_hdr h = {MAGIC, (uint32_t)prod, seq, gen, cls, rn(maxbody + 1), 0, 0};
  for (uint32_t i = 0; i < h.len; i++) buf[HDR + i] = (char)(seq * 13 + i * 3 + prod);
  h.csum = ledger_csum(&h, buf + HDR);
  memcpy(buf, &h, HDR);
  return HDR + h.len;
}

static struct timespec abs_ms(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += (ms % 1000) * 1000000L;
  ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

// Per-consumer-thread FIFO check.
static __thread uint32_t* last_seen;  // [MAXPROD][GENSLOTS][NCLS], seq+1

// Records a received message; returns 0 for a stop sentinel.
static int got(const char* buf, long n, uint32_t gen, long cls_seen, const char* what) {
  struct ledger_hdr h;
  if (n >= 4 && *(const uint32_t*)buf == STOP_MAGIC) return 0;
  if (n < HDR) {
    fail("%s: %ld-byte message from gen %u", what, n, gen);
    return 1;
  }
  memcpy(&h, buf, HDR);
  if (h.magic != MAGIC || h.sender >= (uint32_t)S->nprod || h.seq >= MAXSEQ || h.cls >= NCLS ||
      h.len != (uint32_t)(n - HDR) || ledger_csum(&h, buf + HDR) != h.csum) {
    fail("%s: corrupt message from gen %u (%ld bytes)", what, gen, n);
    return 1;
  }
  if (h.gen != gen) fail("%s: message of gen %u (prod %u seq %u) came out of gen %u", what, h.gen, h.sender, h.seq, gen);
  if (cls_seen != (long)h.cls) fail("%s: prod %u seq %u of class %u delivered as %ld", what, h.sender, h.seq, h.cls, cls_seen);
  if (S->state[h.sender][h.seq] == ST_NONE) fail("%s: prod %u seq %u never sent", what, h.sender, h.seq);
  if (__atomic_add_fetch(&S->recvd[h.sender][h.seq], 1, __ATOMIC_SEQ_CST) > 1)
    fail("%s: prod %u seq %u received twice", what, h.sender, h.seq);
  __atomic_fetch_add(&S->receives, 1, __ATOMIC_RELAXED);
  if (last_seen) {
    // Sequence numbers only grow: a generation GENSLOTS later, long after
    // this one was removed, only has larger ones.
    uint32_t* l = &last_seen[((size_t)h.sender * GENSLOTS + h.gen % GENSLOTS) * NCLS + h.cls];
    if (*l > h.seq + 1) fail("%s: FIFO violated: prod %u class %u seq %u after %u", what, h.sender, h.cls, h.seq, *l - 1);
    *l = h.seq + 1;
  }
  return 1;
}

static int restart_proc;  // this process's SIGUSR1 handler has SA_RESTART
static void on_usr1(int sig) {
  (void)sig;
}

static void note_eintr(int posix) {
  if (posix)
    __atomic_fetch_add(&S->eintr_posix[restart_proc], 1, __ATOMIC_RELAXED);
  else
    __atomic_fetch_add(&S->eintr_sysv[restart_proc], 1, __ATOMIC_RELAXED);
  if (posix && restart_proc) fail("a POSIX queue call failed with EINTR under an SA_RESTART handler");
}

static uint32_t new_gen(int kind) {
  uint32_t g = S->next_gen++;
  if (g >= MAXGEN) {
    fprintf(stderr, "out of generations\n");
    exit(2);
  }
  S->gen_kind[g] = kind;
  return g;
}

// ---------------------------------------------------------------------------
// Workers.

struct pfd {
  mqd_t fd;
  uint32_t gen;
};

// Opens (or re-opens, after a rotation) this thread's descriptor of slot.
static void pfd_sync(struct pfd* p, int slot, int producer) {
  uint32_t g = __atomic_load_n(&S->pslot_gen[slot], __ATOMIC_SEQ_CST);
  if (p->fd >= 0 && p->gen == g) return;
  pthread_mutex_lock(&S->pslot_lock[slot]);
  if (p->fd >= 0) {
    mq_close(p->fd);
    if (producer) __atomic_fetch_sub(&S->gen_holders[p->gen], 1, __ATOMIC_SEQ_CST);
  }
  p->fd = mq_open(pq_name[slot], O_RDWR);
  p->gen = S->pslot_gen[slot];
  if (p->fd >= 0 && producer) __atomic_fetch_add(&S->gen_holders[p->gen], 1, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&S->pslot_lock[slot]);
  if (p->fd < 0) fail("opening %s: %s", pq_name[slot], strerror(errno));
}

static int sysv_gone(int e, uint32_t gen) {
  return (e == EACCES || e == EIDRM || e == EINVAL) && __atomic_load_n(&S->gen_frozen[gen], __ATOMIC_SEQ_CST);
}

struct sysv_msg {
  long mtype;
  char mtext[1024];
};

static void* producer(void* arg) {
  int id = (int)(intptr_t)arg;
  who = id;
  rng = 0x9E3779B97F4A7C15ULL * (id + 1) + (uint64_t)time(NULL);
  struct pfd pf[NPQ];
  for (int i = 0; i < NPQ; i++) pf[i].fd = -1, pfd_sync(&pf[i], i, 1);
  char buf[PQ_MSGSIZE];
  struct sysv_msg m;
  while (!S->stop_producers) {
    uint32_t seq = S->nseq[id];
    if (seq >= MAXSEQ) break;
    S->nseq[id] = seq + 1;
    uint32_t cls = rn(NCLS);
    int r, e, posix = rn(2);
    if (posix) {
      int slot = rn(NPQ);
      pfd_sync(&pf[slot], slot, 1);
      if (pf[slot].fd < 0) break;
      int n = build(buf, PQ_MSGSIZE - HDR, id, seq, pf[slot].gen, cls);
      S->mgen[id][seq] = pf[slot].gen;
      __atomic_store_n(&S->state[id][seq], ST_ATTEMPT, __ATOMIC_SEQ_CST);
      int timed = rn(2);
      if (timed) {
        struct timespec ts = abs_ms(1 + rn(20));
        r = mq_timedsend(pf[slot].fd, buf, n, cls, &ts);
      } else {
        r = mq_send(pf[slot].fd, buf, n, cls);
      }
      e = errno;
      __atomic_store_n(&S->state[id][seq], r == 0 ? ST_OK : ST_FAILED, __ATOMIC_SEQ_CST);
      if (r == 0) {
        __atomic_fetch_add(&S->sends, 1, __ATOMIC_RELAXED);
      } else if (e == EINTR) {
        note_eintr(1);
      } else if (e == ETIMEDOUT && timed) {
        __atomic_fetch_add(&S->timeouts, 1, __ATOMIC_RELAXED);
      } else {
        fail("mq_%ssend: %s", timed ? "timed" : "", strerror(e));
      }
    } else {
      int slot = rn(NSQ);
      uint64_t v = __atomic_load_n(&S->sslot[slot], __ATOMIC_SEQ_CST);
      uint32_t gen = (uint32_t)(v >> 32);
      m.mtype = cls + 1;
      int n = build(m.mtext, 300, id, seq, gen, cls);
      S->mgen[id][seq] = gen;
      __atomic_store_n(&S->state[id][seq], ST_ATTEMPT, __ATOMIC_SEQ_CST);
      int flags = rn(4) == 0 ? IPC_NOWAIT : 0;
      r = msgsnd((int)(uint32_t)v, &m, n, flags);
      e = errno;
      __atomic_store_n(&S->state[id][seq], r == 0 ? ST_OK : ST_FAILED, __ATOMIC_SEQ_CST);
      if (r == 0) {
        __atomic_fetch_add(&S->sends, 1, __ATOMIC_RELAXED);
      } else if (e == EINTR && !flags) {
        note_eintr(0);
      } else if (e == EAGAIN && flags) {
      } else if (!sysv_gone(e, gen)) {
        fail("msgsnd(flags %#o) to gen %u: %s", flags, gen, strerror(e));
      }
    }
  }
  for (int i = 0; i < NPQ; i++) {
    if (pf[i].fd >= 0) {
      pthread_mutex_lock(&S->pslot_lock[i]);
      mq_close(pf[i].fd);
      __atomic_fetch_sub(&S->gen_holders[pf[i].gen], 1, __ATOMIC_SEQ_CST);
      pthread_mutex_unlock(&S->pslot_lock[i]);
    }
  }
  return NULL;
}

static void* consumer(void* arg) {
  int id = (int)(intptr_t)arg;
  who = 1000 + id;
  rng = 0xC2B2AE3D27D4EB4FULL * (id + 1) + (uint64_t)time(NULL);
  last_seen = calloc((size_t)MAXPROD * GENSLOTS * NCLS, sizeof(uint32_t));
  struct pfd pf[NPQ];
  for (int i = 0; i < NPQ; i++) pf[i].fd = -1, pfd_sync(&pf[i], i, 0);
  char buf[PQ_MSGSIZE];
  static __thread struct sysv_msg m;
  while (!S->stop_consumers) {
    long r;
    int e;
    if (rn(2)) {
      int slot = rn(NPQ);
      pfd_sync(&pf[slot], slot, 0);
      if (pf[slot].fd < 0) break;
      unsigned prio = 999;
      int timed = rn(2);
      if (timed) {
        struct timespec ts = abs_ms(1 + rn(20));
        r = mq_timedreceive(pf[slot].fd, buf, sizeof(buf), &prio, &ts);
      } else {
        r = mq_receive(pf[slot].fd, buf, sizeof(buf), &prio);
      }
      e = errno;
      if (r >= 0) {
        got(buf, r, pf[slot].gen, prio, "mq_receive");
      } else if (e == EINTR) {
        note_eintr(1);
      } else if (!(e == ETIMEDOUT && timed)) {
        fail("mq_%sreceive: %s", timed ? "timed" : "", strerror(e));
      }
    } else {
      int slot = rn(NSQ);
      uint64_t v = __atomic_load_n(&S->sslot[slot], __ATOMIC_SEQ_CST);
      uint32_t gen = (uint32_t)(v >> 32);
      long t = 1 + rn(NCLS), msgtyp;
      int flags = rn(4) == 0 ? IPC_NOWAIT : 0;
      switch (rn(4)) {
        case 0: msgtyp = 0; break;
        case 1: msgtyp = t; break;
        case 2: msgtyp = -t; break;
        default: msgtyp = t; flags |= MSG_EXCEPT; break;
      }
      r = msgrcv((int)(uint32_t)v, &m, sizeof(m.mtext), msgtyp, flags);
      e = errno;
      if (r >= 0) {
        if (got(m.mtext, r, gen, m.mtype - 1, "msgrcv")) {
          int ok = msgtyp == 0 || (msgtyp > 0 && !(flags & MSG_EXCEPT) && m.mtype == msgtyp) ||
                   (msgtyp > 0 && (flags & MSG_EXCEPT) && m.mtype != msgtyp) || (msgtyp < 0 && m.mtype <= -msgtyp);
          if (!ok) fail("msgrcv(%ld, %#o) gave type %ld", msgtyp, flags, m.mtype);
        }
      } else if (e == EINTR && !(flags & IPC_NOWAIT)) {
        note_eintr(0);
      } else if (e == ENOMSG && (flags & IPC_NOWAIT)) {
      } else if (!sysv_gone(e, gen)) {
        fail("msgrcv(%ld, %#o) from gen %u: %s", msgtyp, flags, gen, strerror(e));
      }
    }
  }
  for (int i = 0; i < NPQ; i++)
    if (pf[i].fd >= 0) mq_close(pf[i].fd);
  return NULL;
}

static void worker_process(int index, int producers, int first, int threads) {
  restart_proc = index % 2 == 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_usr1;
  sa.sa_flags = restart_proc ? SA_RESTART : 0;
  sigaction(SIGUSR1, &sa, NULL);
  if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 || setresuid(NOBODY, NOBODY, NOBODY) != 0) {
    fail("cannot become uid %d: %s", NOBODY, strerror(errno));
    _exit(1);
  }
  pthread_t th[64];
  for (int t = 0; t < threads; t++)
    pthread_create(&th[t], NULL, producers ? producer : consumer, (void*)(intptr_t)(first + t));
  // SIGUSR1 is for the workers' calls, not this thread's wait.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
  _exit(0);
}

// ---------------------------------------------------------------------------
// Parent: rotations, shutdown, verdict.

static mqd_t remover_fd[MAXGEN];  // the parent's descriptor of each POSIX gen, -1 once closed

static void drain_posix(uint32_t gen, const char* what) {
  if (remover_fd[gen] < 0) return;
  char buf[PQ_MSGSIZE];
  unsigned prio;
  long r;
  while ((r = mq_receive(remover_fd[gen], buf, sizeof(buf), &prio)) >= 0) {
    if (got(buf, r, gen, prio, what)) __atomic_fetch_add(&S->drained_by_remover, 1, __ATOMIC_RELAXED);
  }
  if (errno != EAGAIN) fail("%s: %s", what, strerror(errno));
}

static int make_sysv(void) {
  int id = msgget(IPC_PRIVATE, 0666);
  struct msqid_ds ds;
  if (id < 0 || msgctl(id, IPC_STAT, &ds) != 0) {
    fail("msgget: %s", strerror(errno));
    return -1;
  }
  ds.msg_qbytes = SQ_QBYTES;
  if (msgctl(id, IPC_SET, &ds) != 0) fail("IPC_SET qbytes: %s", strerror(errno));
  return id;
}

static void rotate_sysv(int slot) {
  uint64_t v = S->sslot[slot];
  uint32_t gen = (uint32_t)(v >> 32);
  int id = (int)(uint32_t)v;
  // Freeze: from now on no worker can send or receive.
  __atomic_store_n(&S->gen_frozen[gen], 1, __ATOMIC_SEQ_CST);
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) != 0) fail("IPC_STAT: %s", strerror(errno));
  ds.msg_perm.mode = 0;
  if (msgctl(id, IPC_SET, &ds) != 0) fail("freezing: %s", strerror(errno));
  if (msgctl(id, IPC_STAT, &ds) != 0) fail("IPC_STAT after freeze: %s", strerror(errno));
  S->gen_frozen_qnum[gen] = ds.msg_qnum;
  if (msgctl(id, IPC_RMID, NULL) != 0) fail("IPC_RMID: %s", strerror(errno));
  int nid = make_sysv();
  uint32_t g = new_gen(2);
  __atomic_store_n(&S->sslot[slot], ((uint64_t)g << 32) | (uint32_t)nid, __ATOMIC_SEQ_CST);
  S->rotations[1]++;
}

static void send_stops(mqd_t fd, int n) {
  if (fd < 0) return;
  uint32_t stop = STOP_MAGIC;
  for (int i = 0; i < n; i++)
    if (mq_send(fd, (char*)&stop, sizeof(stop), 0) != 0) break;
}

static void rotate_posix(int slot) {
  struct mq_attr a = {0, PQ_MAXMSG, PQ_MSGSIZE, 0};
  pthread_mutex_lock(&S->pslot_lock[slot]);
  uint32_t old = S->pslot_gen[slot];
  if (mq_unlink(pq_name[slot]) != 0) fail("mq_unlink: %s", strerror(errno));
  mqd_t fd = mq_open(pq_name[slot], O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0666, &a);
  if (fd < 0) fail("re-creating %s: %s", pq_name[slot], strerror(errno));
  uint32_t g = new_gen(1);
  remover_fd[g] = fd;
  __atomic_store_n(&S->pslot_gen[slot], g, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&S->pslot_lock[slot]);
  // Drain the old queue until no producer holds it (a producer blocked on
  // it gets room and then moves on), then once more: nothing more can come.
  for (int i = 0; __atomic_load_n(&S->gen_holders[old], __ATOMIC_SEQ_CST) > 0; i++) {
    drain_posix(old, "remover drain");
    if (i > 20000) {
      fail("producers still hold POSIX gen %u after 20 s", old);
      break;
    }
    usleep(1000);
  }
  drain_posix(old, "remover drain");
  // Wake consumers still blocked on the old queue (they move on). The
  // parent keeps the queue full of stop messages for a while (tend_old),
  // for consumers that block on it late.
  send_stops(remover_fd[old], PQ_MAXMSG);
  S->rotations[0]++;
}

// Tops up the stop messages of the last 64 removed POSIX generations and
// closes older ones (which nobody can be using by then; each queue's charge
// against RLIMIT_MSGQUEUE comes back when its last descriptor goes).
static void tend_old(void) {
  int seen = 0;
  for (int g = (int)S->next_gen - 1; g >= 0; g--) {
    if (S->gen_kind[g] != 1 || remover_fd[g] < 0) continue;
    int current = 0;
    for (int s = 0; s < NPQ; s++) current |= S->pslot_gen[s] == (uint32_t)g;
    if (current) continue;
    if (++seen <= 64) {
      send_stops(remover_fd[g], PQ_MAXMSG);
    } else {
      drain_posix(g, "old queue");
      mq_close(remover_fd[g]);
      remover_fd[g] = -1;
    }
  }
}

static int verdict(double seconds) {
  static int64_t missing[MAXGEN];
  uint64_t ok = 0, failed = 0;
  for (int p = 0; p < S->nprod; p++) {
    for (uint32_t s = 0; s < S->nseq[p]; s++) {
      uint8_t st = S->state[p][s], r = S->recvd[p][s];
      if (st == ST_OK) ok++;
      if (st == ST_FAILED) failed++;
      if (r > 1) fail("prod %d seq %u received %u times", p, s, r);
      if (st == ST_FAILED && r) fail("prod %d seq %u received although its send failed", p, s);
      if (st == ST_ATTEMPT) fail("prod %d seq %u: send never finished", p, s);
      if (st == ST_OK && !r) missing[S->mgen[p][s]]++;
    }
  }
  int64_t dropped = 0;
  for (uint32_t g = 0; g < S->next_gen; g++) {
    int64_t want = S->gen_kind[g] == 2 && S->gen_frozen[g] ? S->gen_frozen_qnum[g] : 0;
    if (missing[g] != want)
      fail("%s gen %u: %lld messages missing, want %lld", S->gen_kind[g] == 1 ? "POSIX" : "SysV", g,
           (long long)missing[g], (long long)want);
    dropped += missing[g];
  }
  printf("mqstress: %.1f s, %d producer and %d consumer threads, %llu POSIX and %llu SysV queue removals, %llu signals\n",
         seconds, S->nprod, S->ncons, (unsigned long long)S->rotations[0], (unsigned long long)S->rotations[1],
         (unsigned long long)S->signals);
  printf("messages: %llu sent, %llu sends failed (EINTR/ETIMEDOUT/EAGAIN/removed), %llu received (%llu drained by the "
         "remover), %lld dropped with frozen SysV queues (as counted when frozen)\n",
         (unsigned long long)ok, (unsigned long long)failed, (unsigned long long)S->receives,
         (unsigned long long)S->drained_by_remover, (long long)dropped);
  printf("EINTR: POSIX %llu without SA_RESTART, %llu with; SysV %llu without SA_RESTART, %llu with; %llu timeouts\n",
         (unsigned long long)S->eintr_posix[0], (unsigned long long)S->eintr_posix[1],
         (unsigned long long)S->eintr_sysv[0], (unsigned long long)S->eintr_sysv[1],
         (unsigned long long)S->timeouts);
  if (S->nfail) {
    printf("%u failures; first ones:\n", S->nfail);
    for (uint32_t i = 0; i < S->nfail && i < 32; i++) printf("  %s\n", S->faillog[i]);
  }
  return S->nfail == 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int alive(pid_t* pids, int n) {
  int left = 0;
  for (int i = 0; i < n; i++) {
    if (pids[i] <= 0) continue;
    int st;
    pid_t r = waitpid(pids[i], &st, WNOHANG);
    if (r == pids[i]) {
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail("worker %d ended with status %#x", pids[i], st);
      pids[i] = 0;
    } else {
      left++;
    }
  }
  return left;
}

int main(int argc, char** argv) {
  double seconds = 20;
  int P = 2, C = 2, T = 3;
  uint64_t seed = (uint64_t)time(NULL);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-t") && i + 1 < argc) seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "-P") && i + 1 < argc) P = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-C") && i + 1 < argc) C = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-T") && i + 1 < argc) T = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-s") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
    else {
      fprintf(stderr, "usage: %s [-t SECONDS] [-P PRODUCER_PROCS] [-C CONSUMER_PROCS] [-T THREADS] [-s SEED]\n", argv[0]);
      return 2;
    }
  }
  if (P < 1 || C < 1 || T < 1 || P * T > MAXPROD || C * T > MAXCONS || T > 64) {
    fprintf(stderr, "bad sizes\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  rng = seed | 1;
  printf("mqstress: seed %#llx, %d producer and %d consumer processes of %d threads, %.0f s\n",
         (unsigned long long)seed, P, C, T, seconds);
  if (geteuid() != 0) {
    printf("mqstress needs root (workers run as uid %d, queues are frozen by root)\nMQSTRESS FAIL\n", NOBODY);
    return 1;
  }
  if (unshare(CLONE_NEWIPC) != 0) printf("warning: no new IPC namespace (%s)\n", strerror(errno));
  umask(0);
  S = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (S == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  S->nprod = P * T;
  S->ncons = C * T;
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  struct mq_attr a = {0, PQ_MAXMSG, PQ_MSGSIZE, 0};
  for (int s = 0; s < NPQ; s++) {
    pthread_mutex_init(&S->pslot_lock[s], &ma);
    snprintf(pq_name[s], sizeof(pq_name[s]), "/mqstress_%d_%d", s, getpid());
    mq_unlink(pq_name[s]);
    mqd_t fd = mq_open(pq_name[s], O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0666, &a);
    if (fd < 0) {
      printf("mq_open: %s\nMQSTRESS FAIL\n", strerror(errno));
      return 1;
    }
    uint32_t g = new_gen(1);
    remover_fd[g] = fd;
    S->pslot_gen[s] = g;
  }
  for (int s = 0; s < NSQ; s++) {
    int id = make_sysv();
    if (id < 0) {
      printf("MQSTRESS FAIL\n");
      return 1;
    }
    S->sslot[s] = ((uint64_t)new_gen(2) << 32) | (uint32_t)id;
  }

  signal(SIGUSR1, SIG_IGN);
  pid_t prod[64], cons[64];
  for (int i = 0; i < P; i++)
    if ((prod[i] = fork()) == 0) worker_process(i, 1, i * T, T);
  for (int i = 0; i < C; i++)
    if ((cons[i] = fork()) == 0) worker_process(P + i, 0, i * T, T);
  pid_t sig = fork();
  if (sig == 0) {
    pid_t all[128];
    int n = 0;
    for (int i = 0; i < P; i++) all[n++] = prod[i];
    for (int i = 0; i < C; i++) all[n++] = cons[i];
    rng ^= 0xabcdef;
    while (!S->stop_signaller) {
      for (int i = 0; i < n; i++)
        if (kill(all[i], SIGUSR1) == 0) __atomic_fetch_add(&S->signals, 1, __ATOMIC_RELAXED);
      usleep(1000 + rn(3000));
    }
    _exit(0);
  }

  double t0 = now_s();
  int k = 0;
  while (now_s() - t0 < seconds) {
    usleep(200000 + rn(100000));
    if (now_s() - t0 >= seconds) break;
    tend_old();
    if (S->next_gen >= MAXGEN - 4) continue;  // out of generations: no more removals
    if (k++ % 2)
      rotate_posix(rn(NPQ));
    else
      rotate_sysv(rn(NSQ));
  }
  // Shutdown: producers first (consumers make room for blocked ones).
  S->stop_producers = 1;
  double t1 = now_s();
  while (alive(prod, P)) {
    if (now_s() - t1 > 30) {
      fail("producers hung");
      for (int i = 0; i < P; i++)
        if (prod[i] > 0) kill(prod[i], SIGKILL);
    }
    usleep(10000);
  }
  // Then consumers: stop messages wake the ones blocked in mq_receive
  // under SA_RESTART; signals interrupt the others.
  S->stop_consumers = 1;
  t1 = now_s();
  while (alive(cons, C)) {
    for (uint32_t g = 0; g < S->next_gen; g++)
      if (S->gen_kind[g] == 1) send_stops(remover_fd[g], 1);
    if (now_s() - t1 > 30) {
      fail("consumers hung");
      for (int i = 0; i < C; i++)
        if (cons[i] > 0) kill(cons[i], SIGKILL);
    }
    usleep(5000);
  }
  S->stop_signaller = 1;
  waitpid(sig, NULL, 0);
  double elapsed = now_s() - t0;
  // Whatever is left is still in the queues.
  for (uint32_t g = 0; g < S->next_gen; g++)
    if (S->gen_kind[g] == 1) drain_posix(g, "final drain");
  for (int s = 0; s < NSQ; s++) {
    static struct sysv_msg m;
    long r;
    uint64_t v = S->sslot[s];
    while ((r = msgrcv((int)(uint32_t)v, &m, sizeof(m.mtext), 0, IPC_NOWAIT)) >= 0)
      got(m.mtext, r, (uint32_t)(v >> 32), m.mtype - 1, "final drain");
    if (errno != ENOMSG) fail("final SysV drain: %s", strerror(errno));
    msgctl((int)(uint32_t)v, IPC_RMID, NULL);
  }
  for (int s = 0; s < NPQ; s++) mq_unlink(pq_name[s]);
  int ok = verdict(elapsed);
  printf("%s\n", ok ? "MQSTRESS PASS" : "MQSTRESS FAIL");
  return ok ? 0 : 1;
}
