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

// ipcfuzz: a multi-process syscall fuzzer for message queues and kcmp.
//
// Usage: ipcfuzz [-t SECONDS] [-p PROCS] [-s SEED] [-d CALLS]
//
// It runs PROCS fuzzing processes (default 4) for SECONDS (default 20). Each
// issues, as fast as it can, a random mix of
//
//   - valid traffic on a few shared "ledger" queues (3 POSIX, 3 SysV):
//     sends of messages that carry (process, sequence number, queue
//     generation, class, length, checksum), blocking and non-blocking
//     receives of every msgtyp kind, F_MQ_PEEK and MSG_COPY reads, queue
//     removal and re-creation (mq_unlink, IPC_RMID), IPC_SET of qbytes.
//     Valid SysV calls hold a shared lock for reading (blocked ones until
//     the interval timer interrupts them); a SysV queue is drained and
//     removed under it held for writing. A removed POSIX queue is kept open
//     by its remover and drained once no process holds it (nor can send
//     to it) any more. So no ledger message is ever lost legitimately;
//   - hostile calls: mq_open/mq_unlink/mq_timedsend/mq_timedreceive/
//     mq_notify/mq_getsetattr, msgget/msgsnd/msgrcv/msgctl, fcntl (F_MQ_PEEK
//     among others) and kcmp with random and hostile arguments: NULL,
//     unmapped, PROT_NONE, read-only, non-canonical and kernel addresses,
//     buffers that run into a guard page, huge and negative sizes, random
//     flags, priorities, types, commands and timeouts, closed descriptors
//     and descriptors of other kinds (pipes, sockets, eventfd, epoll,
//     netlink), stale and made-up ids, other processes' pids;
//   - signals: an interval timer (SIGALRM, no SA_RESTART) interrupts blocked
//     calls, and the processes send each other SIGUSR1 (no SA_RESTART) and
//     SIGUSR2 (SA_RESTART).
//
// A second thread in every process makes the same kinds of calls that
// neither consume nor inject ledger messages, racing the first on the
// descriptor table.
//
// At the end the parent drains the ledger queues and checks, for every
// message a valid call sent, that it was received exactly once, intact
// (checksum), from the queue generation it was sent to, and in FIFO order
// per sender and priority (POSIX) or type (SysV) as each receiver saw it;
// that no message whose send failed was ever received; and that a message
// is missing only if a hostile receive on its queue consumed a message it
// could not deliver (a receive that faulted on its buffer, or truncated
// with MSG_NOERROR: each such call allows one missing message of that
// queue generation; a whole message that landed in a hostile buffer counts
// as received). Valid calls must fail only with the errors their situation
// allows. Any hostile send that succeeds on a ledger queue is a bug, and so
// is a fuzzing process that dies or hangs.
//
// -d CALLS is a deterministic differential mode: one process, no signals,
// no blocking, CALLS operations from SEED, each call's result and errno
// printed as "D n call result errno # details"; a native run and a run
// under runsc with the same seed must print the same D lines (up to "#")
// (test/stress/run -diff). Differences known not to be mqsentry's, or
// already reported, are kept out of that mode (see diffmode below).
//
// The last line is "IPCFUZZ PASS" (exit 0) or "IPCFUZZ FAIL" (exit 1). When
// root, it works in a new IPC namespace, so it can run natively on a
// development machine without touching the host's queues. Build:
// gcc -O2 -Wall -static -pthread -o ipcfuzz ipcfuzz.c -lrt
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
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
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <linux/capability.h>
#include <unistd.h>

#include "../common/ledger.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif
#define F_MQ_PEEK (1024 + 17)
#define KCMP_EPOLL_TFD 7

#define MAXPROC 8
#define NPQ 3             // POSIX ledger queues
#define NSQ 3             // SysV ledger queues
#define MAXSEQ (1 << 20)  // messages per process
#define MAXGEN 32768      // queue generations over the run
#define NCLS 4            // priorities / types used by ledger messages
#define PQ_MAXMSG 8
#define PQ_MSGSIZE 128
#define SQ_MAXTEXT 200
#define MAGIC 0x51f0a11eu
#define JUNKFDS 24
#define JUNKIDS 8
#define NCALLS 32

// ---------------------------------------------------------------------------
// Shared state (MAP_SHARED, set up before fork).

enum { ST_NONE = 0, ST_ATTEMPT = 1, ST_OK = 2, ST_FAILED = 3 };

struct shared {
  volatile int stop;
  int nproc;
  pid_t pids[MAXPROC];
  pid_t parent;
  int have_peek;  // F_MQ_PEEK is implemented (mqsentry), not EINVAL (Linux)

  pthread_mutex_t pslot_lock[NPQ];
  uint32_t pslot_gen[NPQ];
  // SysV slots: (gen << 32) | id, under id_lock (rotation takes it for
  // writing; hostile calls that could hit a ledger id by chance take it for
  // reading and stay off the ledger ids).
  pthread_rwlock_t id_lock;
  uint64_t sslot[NSQ];

  uint32_t next_gen;
  uint32_t gen_budget[MAXGEN];  // receives that may have eaten a message
  uint8_t gen_kind[MAXGEN];     // 1 POSIX, 2 SysV
  int32_t gen_holders[MAXGEN];  // POSIX: processes whose ledger descriptor is of this gen
  uint64_t drained_at_removal;
  int finished;                 // fuzzing processes done (end barrier)

  uint32_t nseq[MAXPROC];
  uint64_t ops[MAXPROC];
  uint32_t stats[NCALLS][136];  // per call: [0] successes, [e] errno e

  uint32_t nfail;
  char faillog[32][240];

  uint8_t state[MAXPROC][MAXSEQ];
  uint8_t recvd[MAXPROC][MAXSEQ];
  uint16_t mgen[MAXPROC][MAXSEQ];
};

static struct shared* S;
static int me = -1;  // fuzzing process index, -1 in the parent
static int verbose;

static void fail(const char* fmt, ...) {
  char buf[240];
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(buf, sizeof(buf), "[proc %d] ", me);
  vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
  va_end(ap);
  uint32_t k = __atomic_fetch_add(&S->nfail, 1, __ATOMIC_SEQ_CST);
  if (k < 32) memcpy(S->faillog[k], buf, sizeof(buf));
  if (k < 100) {
    fprintf(stderr, "FAIL: %s\n", buf);
    fflush(stderr);
  }
}

// ---------------------------------------------------------------------------
// Randomness (xorshift64*, per thread).

static __thread uint64_t rng_state;
static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1DULL;
}
static uint32_t rn(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }
static int chance(int percent) { return (int)rn(100) < percent; }

// ---------------------------------------------------------------------------
// Call statistics.

enum {
  C_MQ_OPEN, C_MQ_UNLINK, C_MQ_SEND, C_MQ_RECV, C_MQ_NOTIFY, C_MQ_SETATTR,
  C_PEEK, C_FCNTL, C_MSGGET, C_MSGSND, C_MSGRCV, C_MSGCTL, C_KCMP,
  C_V_MQ_SEND, C_V_MQ_RECV, C_V_PEEK, C_V_MSGSND, C_V_MSGRCV, C_V_COPY,
  C_V_MSGCTL, C_V_ROTATE, C_PROC, C_SIGNAL, C_CLOSE,
};
static const char* call_names[NCALLS] = {
    "mq_open*", "mq_unlink*", "mq_timedsend*", "mq_timedreceive*", "mq_notify*",
    "mq_getsetattr*", "F_MQ_PEEK*", "fcntl*", "msgget*", "msgsnd*", "msgrcv*",
    "msgctl*", "kcmp*", "mq_timedsend", "mq_timedreceive", "F_MQ_PEEK",
    "msgsnd", "msgrcv", "msgrcv(MSG_COPY)", "msgctl", "rotate", "/proc read",
    "kill", "close/dup"};

// Differential mode (-d N): one process, no signals, no blocking; every
// call's outcome is printed ("D <n> <call> <result> <errno>") so that a
// native run and a sandboxed run with the same seed can be compared line
// by line (test/stress/run -diff).
static int diffmode;
static uint64_t diffcalls;
static volatile sig_atomic_t sigseen[65];  // signals handled since the last note
static char detail[200];  // what the call was, printed after "#" (not compared)

static const char* fdkind(int fd) {
  static char buf[80];
  char path[40];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, buf, sizeof(buf) - 1);
  buf[n > 0 ? n : 0] = 0;
  return n > 0 ? buf : "closed";
}

static void note(int call, long r) {
  int e = r < 0 ? errno : 0;
  if (diffmode) {
    // Results that differ between any two kernels (kcmp's order, which is
    // per boot) are printed as "ok".
    if (call == C_KCMP && r > 0) r = 0;
    char sigs[64] = "";
    for (int i = 1, n = 0; i < 65; i++)
      if (sigseen[i]) n += snprintf(sigs + n, sizeof(sigs) - n, " +sig%d", i), sigseen[i] = 0;
    printf("D %llu %s %ld %s%s # %s\n", (unsigned long long)diffcalls++, call_names[call], r,
           e ? (strerrorname_np(e) ? strerrorname_np(e) : "?") : "-", sigs, detail);
    detail[0] = 0;
    errno = e;
  }
  if (e < 0 || e >= 136) e = 135;
  __atomic_fetch_add(&S->stats[call][e], 1, __ATOMIC_RELAXED);
}

// ---------------------------------------------------------------------------
// Hostile memory: a scratch area followed by a PROT_NONE guard, a read-only
// page, an unmapped page; and pointers that are never valid.

#define SCRATCH (64 << 10)
static char* scratch;       // SCRATCH bytes, then a guard page
static char* ropage;        // read-only
static char* unmapped;      // was mapped, now not
static char* nonepage;      // PROT_NONE
static char* scratch2;      // the side thread's, SCRATCH bytes then a guard

static void setup_memory(void) {
  long pg = sysconf(_SC_PAGESIZE);
  char* m = mmap(NULL, SCRATCH + 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  scratch = m;
  nonepage = m + SCRATCH;
  mprotect(nonepage, pg, PROT_NONE);
  ropage = m + SCRATCH + pg;
  memset(ropage, 0x5a, pg);
  mprotect(ropage, pg, PROT_READ);
  unmapped = m + SCRATCH + 2 * pg;
  munmap(unmapped, 2 * pg);
  m = mmap(NULL, SCRATCH + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  scratch2 = m;
  mprotect(m + SCRATCH, pg, PROT_NONE);
}

// A pointer for an input buffer of n bytes: valid (in scratch), or hostile.
// *valid says whether all n bytes are readable.
static void* hostile_ptr(size_t n, int* valid) {
  *valid = 0;
  switch (rn(12)) {
    case 0: return NULL;
    case 1: return (void*)1;
    case 2: return unmapped + rn(64);
    case 3: return nonepage;
    case 4: return (void*)0xffff880000000000ULL;
    case 5: return (void*)0x8000000000000000ULL;
    case 6: return (void*)-1L;
    case 7:  // runs into the guard page
      return scratch + SCRATCH - 1 - rn(64);
    case 8: return ropage;  // readable, not writable
    default: {
      size_t off = n < SCRATCH ? rn(SCRATCH - n + 1) : 0;
      *valid = n <= SCRATCH;
      return scratch + off;
    }
  }
}

// A pointer that certainly faults for reads and writes.
static void* bad_ptr(void) {
  switch (rn(6)) {
    case 0: return NULL;
    case 1: return unmapped + rn(64);
    case 2: return nonepage + rn(64);
    case 3: return (void*)0xffff880000000000ULL;
    case 4: return (void*)0x8000000000000000ULL;
    default: return (void*)16;
  }
}

static long hostile_long(void) {
  static const long v[] = {0, 1, -1, 2, 7, 8, 64, 127, 128, 129, 8192, 8193, 16384, 65536, 65537,
                           16 << 20, (16 << 20) + 1, INT_MAX, INT_MIN, LONG_MAX, LONG_MIN, 1L << 32, 4096};
  if (chance(20)) return (long)rnd();
  return v[rn(sizeof(v) / sizeof(v[0]))];
}

// ---------------------------------------------------------------------------
// Ledger messages.




// Fills buf with a ledger message; returns its total length.
static int build_msg(char* buf, int maxbody, uint32_t seq, uint32_t gen, uint32_t cls) {
  struct ledger_hdr h = {MAGIC, (uint32_t)me, seq, gen, cls, rn(maxbody + 1), 0, 0};
  char* body = buf + HDR;
  for (uint32_t i = 0; i < h.len; i++) body[i] = (char)(seq * 31 + i * 7 + me);
  h.csum = ledger_csum(&h, body);
  memcpy(buf, &h, HDR);
  return HDR + h.len;
}

// Per-receiver FIFO check: the last sequence number seen per (sender,
// generation, class).
static uint32_t* last_seen;  // [MAXPROC][MAXGEN][NCLS], seq+1

enum { V_RECEIVE, V_PEEK };

// Checks a ledger message that came out of a queue of generation gen (of
// class cls_seen: priority for POSIX, type for SysV). For V_RECEIVE it is
// recorded as received. Returns 1 if it is a valid ledger message.
static int check_msg(const char* buf, long n, uint32_t gen, long cls_seen, int how, const char* what) {
  struct ledger_hdr h;
  if (n < HDR) {
    fail("%s: %ld-byte message in ledger queue gen %u", what, n, gen);
    return 0;
  }
  memcpy(&h, buf, HDR);
  if (h.magic != MAGIC || h.sender >= (uint32_t)S->nproc || h.seq >= MAXSEQ || h.len != (uint32_t)(n - HDR) ||
      h.cls >= NCLS || ledger_csum(&h, buf + HDR) != h.csum) {
    fail("%s: corrupt message in gen %u (%ld bytes, magic %#x proc %u seq %u len %u)", what, gen, n, h.magic,
         h.sender, h.seq, h.len);
    return 0;
  }
  if (h.gen != gen) {
    fail("%s: message of gen %u (proc %u seq %u) came out of gen %u", what, h.gen, h.sender, h.seq, gen);
    return 0;
  }
  if (cls_seen >= 0 && cls_seen != (long)h.cls) {
    fail("%s: message proc %u seq %u of class %u delivered as %ld", what, h.sender, h.seq, h.cls, cls_seen);
  }
  uint8_t st = __atomic_load_n(&S->state[h.sender][h.seq], __ATOMIC_SEQ_CST);
  if (st == ST_NONE) fail("%s: message proc %u seq %u was never sent", what, h.sender, h.seq);
  if (how == V_PEEK) return 1;
  if (__atomic_add_fetch(&S->recvd[h.sender][h.seq], 1, __ATOMIC_SEQ_CST) > 1)
    fail("%s: message proc %u seq %u gen %u received twice", what, h.sender, h.seq, gen);
  if (last_seen && gen < MAXGEN) {
    uint32_t* l = &last_seen[((size_t)h.sender * MAXGEN + gen) * NCLS + h.cls];
    if (*l > h.seq + 1)
      fail("%s: FIFO violated: proc %u class %u seq %u after seq %u (gen %u)", what, h.sender, h.cls, h.seq,
           *l - 1, gen);
    else
      *l = h.seq + 1;
  }
  return 1;
}

static uint32_t new_gen(int kind) {
  uint32_t g = __atomic_fetch_add(&S->next_gen, 1, __ATOMIC_SEQ_CST);
  if (g >= MAXGEN) {
    fprintf(stderr, "out of generations\n");
    exit(2);
  }
  S->gen_kind[g] = kind;
  return g;
}

static void add_budget(uint32_t gen) {
  if (gen < MAXGEN) __atomic_fetch_add(&S->gen_budget[gen], 1, __ATOMIC_SEQ_CST);
}

// ---------------------------------------------------------------------------
// Per-process state of the main fuzzing thread.

static char pq_name[NPQ][32];
static mqd_t pfd[NPQ] = {-1, -1, -1};
static uint32_t pgen[NPQ];
static uint32_t fdgen[65536];  // gen+1 of ledger POSIX fds of this process
static int junkfd[JUNKFDS];
static int junkid[JUNKIDS];
static int epfd = -1;
static int nlfd = -1;
static int stale_ids[16];
static int nstale;

static struct timespec abs_in_ms(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += (ms % 1000) * 1000000L;
  ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

static uint32_t next_seq(void) {
  uint32_t s = S->nseq[me];
  if (s >= MAXSEQ) return UINT32_MAX;
  S->nseq[me] = s + 1;
  return s;
}

static void reopen_pslot(int slot) {
  pthread_mutex_lock(&S->pslot_lock[slot]);
  if (pfd[slot] >= 0) {
    fdgen[pfd[slot]] = 0;
    mq_close(pfd[slot]);
    __atomic_fetch_sub(&S->gen_holders[pgen[slot]], 1, __ATOMIC_SEQ_CST);
  }
  pfd[slot] = mq_open(pq_name[slot], O_RDWR);
  pgen[slot] = S->pslot_gen[slot];
  if (pfd[slot] >= 0) __atomic_fetch_add(&S->gen_holders[pgen[slot]], 1, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&S->pslot_lock[slot]);
  if (pfd[slot] < 0) {
    fail("reopen of ledger queue %s: %s", pq_name[slot], strerror(errno));
    return;
  }
  if (pfd[slot] < 65536) fdgen[pfd[slot]] = pgen[slot] + 1;
}

static int pslot(void) {
  int slot = rn(NPQ);
  if (__atomic_load_n(&S->pslot_gen[slot], __ATOMIC_SEQ_CST) != pgen[slot] || pfd[slot] < 0) reopen_pslot(slot);
  return slot;
}

// ---------------------------------------------------------------------------
// Valid operations on the ledger queues.

static void v_mq_send(void) {
  int slot = pslot();
  if (pfd[slot] < 0) return;
  uint32_t seq = next_seq();
  if (seq == UINT32_MAX) return;
  static const unsigned prios[NCLS] = {0, 1, 7, 31};
  uint32_t cls = rn(NCLS);
  char buf[PQ_MSGSIZE];
  int n = build_msg(buf, PQ_MSGSIZE - HDR, seq, pgen[slot], cls);
  S->mgen[me][seq] = pgen[slot];
  __atomic_store_n(&S->state[me][seq], ST_ATTEMPT, __ATOMIC_SEQ_CST);
  struct timespec ts = abs_in_ms(rn(30));
  int r = mq_timedsend(pfd[slot], buf, n, prios[cls], &ts);
  note(C_V_MQ_SEND, r);
  if (r == 0) {
    __atomic_store_n(&S->state[me][seq], ST_OK, __ATOMIC_SEQ_CST);
    return;
  }
  int e = errno;
  __atomic_store_n(&S->state[me][seq], ST_FAILED, __ATOMIC_SEQ_CST);
  if (e != EAGAIN && e != ETIMEDOUT && e != EINTR) fail("mq_timedsend on ledger queue: %s", strerror(e));
}

static long prio_cls(unsigned prio) {
  switch (prio) {
    case 0: return 0;
    case 1: return 1;
    case 7: return 2;
    case 31: return 3;
  }
  return 99;
}

static void v_mq_receive(void) {
  int slot = pslot();
  if (pfd[slot] < 0) return;
  char buf[PQ_MSGSIZE + 64];
  unsigned prio = 12345;
  struct timespec ts = abs_in_ms(rn(30));
  long r = mq_timedreceive(pfd[slot], buf, sizeof(buf), &prio, &ts);
  note(C_V_MQ_RECV, r);
  if (r >= 0) {
    check_msg(buf, r, pgen[slot], prio_cls(prio), V_RECEIVE, "mq_timedreceive");
    return;
  }
  if (errno != EAGAIN && errno != ETIMEDOUT && errno != EINTR) fail("mq_timedreceive on ledger queue: %s", strerror(errno));
}

struct mq_peek_attr {
  int32_t offset;
  uint32_t msg_prio;
  size_t buf_len;
  char* buf;
};

static void v_peek(void) {
  int slot = pslot();
  if (pfd[slot] < 0) return;
  char buf[PQ_MSGSIZE];
  struct mq_peek_attr pa = {(int32_t)rn(PQ_MAXMSG + 2), 0, sizeof(buf), buf};
  long r = fcntl(pfd[slot], F_MQ_PEEK, &pa);
  note(C_V_PEEK, r);
  if (r >= 0) {
    if (!S->have_peek) fail("F_MQ_PEEK succeeded where it was EINVAL");
    check_msg(buf, r, pgen[slot], prio_cls(pa.msg_prio), V_PEEK, "F_MQ_PEEK");
    return;
  }
  if (!(errno == ENOMSG && S->have_peek) && !(errno == EINVAL && !S->have_peek))
    fail("F_MQ_PEEK(offset %d) on ledger queue: %s", pa.offset, strerror(errno));
}

static void v_getattr(void) {
  int slot = pslot();
  if (pfd[slot] < 0) return;
  // Attributes are coherent.
  struct mq_attr a;
  if (mq_getattr(pfd[slot], &a) != 0 || a.mq_maxmsg != PQ_MAXMSG || a.mq_msgsize != PQ_MSGSIZE ||
      a.mq_curmsgs < 0 || a.mq_curmsgs > PQ_MAXMSG)
    fail("mq_getattr on ledger queue: maxmsg %ld msgsize %ld curmsgs %ld", a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
}

static uint64_t sslot_load(int slot) { return __atomic_load_n(&S->sslot[slot], __ATOMIC_SEQ_CST); }
#define SGEN(v) ((uint32_t)((v) >> 32))
#define SID(v) ((int)(uint32_t)(v))

// Valid SysV calls hold id_lock for reading and ledger queues are removed
// under it held for writing: a valid call never meets a removed queue.
static int sysv_gone_ok(int e, int slot, uint32_t gen) {
  (void)e, (void)slot, (void)gen;
  return 0;
}

struct sysv_msg {
  long mtype;
  char mtext[8192];
};

// ids_read_locked runs a valid SysV call holding id_lock for reading, so
// that no ledger queue is drained and removed under it. Blocking calls hold
// the lock until SIGALRM at worst.
static void ids_read_locked(void (*call)(void)) {
  pthread_rwlock_rdlock(&S->id_lock);
  call();
  pthread_rwlock_unlock(&S->id_lock);
}

static void v_msgsnd_locked(void) {
  int slot = rn(NSQ);
  uint64_t v = sslot_load(slot);
  uint32_t gen = SGEN(v);
  uint32_t seq = next_seq();
  if (seq == UINT32_MAX) return;
  uint32_t cls = rn(NCLS);
  static struct sysv_msg m;
  m.mtype = cls + 1;
  int n = build_msg(m.mtext, SQ_MAXTEXT, seq, gen, cls);
  S->mgen[me][seq] = gen;
  __atomic_store_n(&S->state[me][seq], ST_ATTEMPT, __ATOMIC_SEQ_CST);
  int flags = chance(50) || diffmode ? IPC_NOWAIT : 0;
  int r = msgsnd(SID(v), &m, n, flags);
  note(C_V_MSGSND, r);
  if (r == 0) {
    __atomic_store_n(&S->state[me][seq], ST_OK, __ATOMIC_SEQ_CST);
    return;
  }
  int e = errno;
  __atomic_store_n(&S->state[me][seq], ST_FAILED, __ATOMIC_SEQ_CST);
  if (e == EAGAIN && flags) return;
  if (e == EINTR && !flags) return;
  if (!sysv_gone_ok(e, slot, gen)) fail("msgsnd(flags %#o) on ledger queue gen %u: %s", flags, gen, strerror(e));
}

static void v_msgrcv_locked(void) {
  int slot = rn(NSQ);
  uint64_t v = sslot_load(slot);
  uint32_t gen = SGEN(v);
  static struct sysv_msg m;
  long cls = rn(NCLS) + 1;
  long msgtyp;
  int flags = chance(50) || diffmode ? IPC_NOWAIT : 0;
  switch (rn(5)) {
    case 0: msgtyp = 0; break;
    case 1: msgtyp = cls; break;
    case 2: msgtyp = -cls; break;
    case 3: msgtyp = cls; flags |= MSG_EXCEPT; break;
    default: msgtyp = chance(50) ? LONG_MIN : -LONG_MAX; break;
  }
  m.mtype = -77;
  long r = msgrcv(SID(v), &m, sizeof(m.mtext), msgtyp, flags);
  note(C_V_MSGRCV, r);
  if (r >= 0) {
    if (check_msg(m.mtext, r, gen, m.mtype - 1, V_RECEIVE, "msgrcv")) {
      long t = m.mtype;
      int match = msgtyp == 0 || (msgtyp > 0 && !(flags & MSG_EXCEPT) && t == msgtyp) ||
                  (msgtyp > 0 && (flags & MSG_EXCEPT) && t != msgtyp) ||
                  (msgtyp < 0 && (msgtyp == LONG_MIN || t <= -msgtyp));
      if (!match) fail("msgrcv(msgtyp %ld, flags %#o) returned type %ld", msgtyp, flags, t);
    }
    return;
  }
  int e = errno;
  if (e == ENOMSG && (flags & IPC_NOWAIT)) return;
  if (e == EINTR && !(flags & IPC_NOWAIT)) return;
  if (!sysv_gone_ok(e, slot, gen)) fail("msgrcv(msgtyp %ld, flags %#o) on ledger gen %u: %s", msgtyp, flags, gen, strerror(e));
}

static void v_msgcopy_locked(void) {
  int slot = rn(NSQ);
  uint64_t v = sslot_load(slot);
  uint32_t gen = SGEN(v);
  static struct sysv_msg m;
  long idx = rn(12);
  long r = msgrcv(SID(v), &m, sizeof(m.mtext), idx, MSG_COPY | IPC_NOWAIT);
  note(C_V_COPY, r);
  if (r >= 0) {
    check_msg(m.mtext, r, gen, m.mtype - 1, V_PEEK, "msgrcv(MSG_COPY)");
    return;
  }
  if (errno == ENOMSG) return;
  if (!sysv_gone_ok(errno, slot, gen)) fail("msgrcv(MSG_COPY %ld) on ledger gen %u: %s", idx, gen, strerror(errno));
}

static void v_msgctl_locked(void) {
  int slot = rn(NSQ);
  uint64_t v = sslot_load(slot);
  uint32_t gen = SGEN(v);
  struct msqid_ds ds;
  int r = msgctl(SID(v), IPC_STAT, &ds);
  note(C_V_MSGCTL, r);
  if (r != 0) {
    if (!sysv_gone_ok(errno, slot, gen)) fail("IPC_STAT on ledger gen %u: %s", gen, strerror(errno));
    return;
  }
  // (IPC_SET may lower qbytes below what the queue holds.)
  if (ds.msg_qbytes < 256 || ds.msg_qbytes > 16384 || ds.msg_perm.uid != 0 || (ds.msg_perm.mode & 0777) != 0600)
    fail("ledger queue's IPC_STAT: qbytes %lu uid %u mode %#o", (unsigned long)ds.msg_qbytes, ds.msg_perm.uid,
         ds.msg_perm.mode);
  if (chance(30)) {
    // The owner changes qbytes (between 256 and 16384).
    ds.msg_qbytes = 256 + rn(16384 - 256 + 1);
    r = msgctl(SID(v), IPC_SET, &ds);
    note(C_V_MSGCTL, r);
    if (r != 0 && !sysv_gone_ok(errno, slot, gen)) fail("IPC_SET on ledger gen %u: %s", gen, strerror(errno));
  }
}

// Removed POSIX ledger queues this process still has to drain: it keeps a
// descriptor of each and drains it once no process holds it any more (no
// sender can reach it), so no message is lost with it.
static struct {
  uint32_t gen;
  mqd_t fd;
} pending[64];
static int npending;

static void drain_pending(int force) {
  for (int i = 0; i < npending; i++) {
    if (!force && __atomic_load_n(&S->gen_holders[pending[i].gen], __ATOMIC_SEQ_CST) > 0) continue;
    char buf[PQ_MSGSIZE];
    unsigned prio;
    long r;
    // A hostile F_SETFL may have made the descriptor blocking: a timeout
    // that has already passed ends the drain either way.
    for (;;) {
      struct timespec now = abs_in_ms(0);
      r = mq_timedreceive(pending[i].fd, buf, sizeof(buf), &prio, &now);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) break;
      check_msg(buf, r, pending[i].gen, prio_cls(prio), V_RECEIVE, "drain of a removed queue");
      __atomic_fetch_add(&S->drained_at_removal, 1, __ATOMIC_RELAXED);
    }
    if (errno != EAGAIN && errno != ETIMEDOUT) fail("draining removed POSIX gen %u: %s", pending[i].gen, strerror(errno));
    fdgen[pending[i].fd] = 0;
    mq_close(pending[i].fd);
    pending[i--] = pending[--npending];
  }
}

// Removes a ledger queue and puts a new one in its slot, without losing a
// message: a SysV queue is drained under id_lock held for writing (no valid
// call is under way) before IPC_RMID; a POSIX queue is unlinked, and drained
// later (drain_pending).
static void v_rotate(void) {
  if (__atomic_load_n(&S->next_gen, __ATOMIC_SEQ_CST) > MAXGEN - 64) return;
  note(C_V_ROTATE, 0);
  if (chance(50)) {
    if (npending == 64) return;
    int slot = rn(NPQ);
    pthread_mutex_lock(&S->pslot_lock[slot]);
    uint32_t old = S->pslot_gen[slot];
    mqd_t keep = mq_open(pq_name[slot], O_RDONLY | O_NONBLOCK);
    if (keep < 0) {
      fail("opening %s to drain it later: %s", pq_name[slot], strerror(errno));
      pthread_mutex_unlock(&S->pslot_lock[slot]);
      return;
    }
    if (mq_unlink(pq_name[slot]) != 0) fail("mq_unlink(%s): %s", pq_name[slot], strerror(errno));
    struct mq_attr a = {0, PQ_MAXMSG, PQ_MSGSIZE, 0};
    mqd_t fd;
    // Junk queues may hold the whole RLIMIT_MSGQUEUE for a while (EMFILE):
    // wait for some to go.
    for (int tries = 0;; tries++) {
      fd = mq_open(pq_name[slot], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
      if (fd >= 0 || (errno != EMFILE && errno != ENOSPC) || tries == 400) break;
      if (tries == 0) {
        // Give back this process's junk queues.
        for (int i = 0; i < JUNKFDS; i++) {
          struct mq_attr ja;
          if (junkfd[i] >= 0 && mq_getattr(junkfd[i], &ja) == 0) {
            close(junkfd[i]);
            junkfd[i] = eventfd(0, EFD_NONBLOCK);
          }
        }
      }
      usleep(5000);
    }
    if (fd < 0) {
      fail("re-creating %s: %s", pq_name[slot], strerror(errno));
    } else {
      mq_close(fd);
    }
    __atomic_store_n(&S->pslot_gen[slot], new_gen(1), __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&S->pslot_lock[slot]);
    // Hostile calls on the kept descriptor are accounted like those on
    // any ledger descriptor.
    if (keep < 65536) fdgen[keep] = old + 1;
    pending[npending].gen = old;
    pending[npending++].fd = keep;
    reopen_pslot(slot);
    return;
  }
  int slot = rn(NSQ);
  pthread_rwlock_wrlock(&S->id_lock);
  uint64_t v = S->sslot[slot];
  static struct sysv_msg m;
  long r;
  while ((r = msgrcv(SID(v), &m, sizeof(m.mtext), 0, IPC_NOWAIT)) >= 0) {
    check_msg(m.mtext, r, SGEN(v), m.mtype - 1, V_RECEIVE, "drain before IPC_RMID");
    __atomic_fetch_add(&S->drained_at_removal, 1, __ATOMIC_RELAXED);
  }
  if (errno != ENOMSG) fail("draining ledger id %d: %s", SID(v), strerror(errno));
  if (msgctl(SID(v), IPC_RMID, NULL) != 0) fail("IPC_RMID of ledger id %d: %s", SID(v), strerror(errno));
  int id = msgget(IPC_PRIVATE, 0600);
  if (id < 0) {
    fail("msgget for a ledger queue: %s", strerror(errno));
    pthread_rwlock_unlock(&S->id_lock);
    return;
  }
  uint32_t g = new_gen(2);
  __atomic_store_n(&S->sslot[slot], ((uint64_t)g << 32) | (uint32_t)id, __ATOMIC_SEQ_CST);
  pthread_rwlock_unlock(&S->id_lock);
  if (nstale < 16) stale_ids[nstale++] = SID(v);
}

// ---------------------------------------------------------------------------
// Descriptors and ids for hostile calls.

// Whether id is a ledger queue now (call with id_lock held). Removed ledger
// ids never come back, so they are fair game.
static int is_ledger_id(int id) {
  for (int i = 0; i < NSQ; i++)
    if (SID(S->sslot[i]) == id) return 1;
  return 0;
}

// Junk queues must not hold much of RLIMIT_MSGQUEUE (819200 bytes for root
// by default), or the ledger queues could not be re-created: a junk queue
// whose charge is over 6000 bytes is closed (and unlinked) at once.
static int junk_too_big(int fd) {
  struct mq_attr a;
  if (mq_getattr(fd, &a) != 0) return 0;
  return a.mq_maxmsg * (a.mq_msgsize + 96) > 6000;
}

static void refill_junkfd(int i) {
  if (junkfd[i] >= 0) {
    close(junkfd[i]);
    note(C_CLOSE, 0);
  }
  junkfd[i] = -1;
  int fds[2];
  switch (rn(9)) {
    case 0:
      if (pipe2(fds, O_NONBLOCK) == 0) {
        junkfd[i] = fds[rn(2)];
        close(fds[0] == junkfd[i] ? fds[1] : fds[0]);
      }
      break;
    case 1: junkfd[i] = eventfd(0, EFD_NONBLOCK); break;
    case 2: junkfd[i] = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0); break;
    case 3: junkfd[i] = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE); break;
    case 4: junkfd[i] = open("/dev/null", O_RDWR); break;
    case 5: junkfd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK); break;
    case 6: junkfd[i] = epoll_create1(0); break;
    default: {
      // A junk queue: of this process or shared by all, opened any way.
      char name[40];
      if (chance(50))
        snprintf(name, sizeof(name), "/jk%d_%u", me, rn(6));
      else
        snprintf(name, sizeof(name), "/jks_%u", rn(6));
      struct mq_attr a = {0, 1 + rn(12), 1 + rn(300), 0};
      int acc = rn(3);
      junkfd[i] = mq_open(name, acc | O_CREAT | O_NONBLOCK, 0666, chance(90) ? &a : NULL);
      if (junkfd[i] >= 0 && (chance(30) || junk_too_big(junkfd[i]))) mq_unlink(name);
      if (junkfd[i] >= 0 && junk_too_big(junkfd[i])) {
        close(junkfd[i]);
        junkfd[i] = -1;
      }
      break;
    }
  }
  if (junkfd[i] >= 0 && epfd >= 0 && chance(50)) {
    struct epoll_event e = {EPOLLIN | EPOLLOUT, {.u64 = 0}};
    epoll_ctl(epfd, EPOLL_CTL_ADD, junkfd[i], &e);
  }
}

// A descriptor number for a hostile call: a junk one, a ledger one (when
// allowed), a closed one, or a made-up one.
static int pick_fd(int allow_ledger, uint32_t* gen_plus1) {
  *gen_plus1 = 0;
  int fd;
  switch (rn(10)) {
    case 0: case 1: case 2: case 3: fd = junkfd[rn(JUNKFDS)]; break;
    case 4: case 5:
      if (allow_ledger) {
        fd = pfd[rn(NPQ)];
        break;
      }
      fd = junkfd[rn(JUNKFDS)];
      break;
    case 6: fd = -1 - rn(3); break;
    case 7: fd = 1000 + rn(24); break;  // closed
    case 8: fd = rn(3); break;          // stdio
    default: fd = rn(64); break;
  }
  // stdout and stderr are shared with the parent (F_SETFL O_DIRECT would
  // break its report): stdin (/dev/null in the children) stands in.
  if (fd == 1 || fd == 2) fd = 0;
  if (fd >= 0 && fd < 65536) *gen_plus1 = fdgen[fd];
  if (*gen_plus1 && !allow_ledger) fd = 1010;
  return fd;
}

// A SysV id for a hostile call: -1 when it would be a ledger id.
static int pick_id(void) {
  switch (rn(8)) {
    case 0: case 1: case 2: return junkid[rn(JUNKIDS)];
    case 3: return nstale ? stale_ids[rn(nstale)] : -1;
    case 4: return -1 - (int)rn(5);
    case 5: return INT_MAX - (int)rn(3);
    case 6: return (int)rnd();
    default: return rn(96);
  }
}

// ---------------------------------------------------------------------------
// Hostile POSIX calls.

static void h_mq_open(void) {
  // Names as the kernel sees them (glibc strips the leading slash).
  char name[400];
  const char* p = name;
  switch (rn(11)) {
    case 0: p = NULL; break;
    case 1: p = bad_ptr(); break;
    case 2: p = ""; break;
    case 3: p = "/"; break;
    case 4: p = chance(50) ? ".." : "."; break;
    case 5: memset(name, 'a', 300); name[255 + rn(3)] = 0; break;
    case 6: p = "a/b"; break;
    case 7: p = ropage; break;  // no NUL within the page
    default: snprintf(name, sizeof(name), "jk%d_%u", chance(50) ? me : (int)rn(6), rn(6)); break;
  }
  if (p == ropage) p = ropage + 4096 - 8;  // runs into unmapped memory
  int flags = rn(4);
  if (chance(60)) flags |= O_CREAT;
  if (chance(30)) flags |= O_EXCL;
  if (chance(10)) flags |= (int)rnd() & ~(O_CREAT | O_EXCL);
  flags |= O_NONBLOCK;
  mode_t mode = chance(80) ? 0600 | rn(0200) : (mode_t)rnd();
  struct mq_attr* a = NULL;
  if (chance(70)) {
    int valid;
    a = hostile_ptr(sizeof(*a), &valid);
    if (valid) {
      a->mq_flags = chance(80) ? 0 : hostile_long();
      a->mq_maxmsg = chance(60) ? 1 + rn(10) : hostile_long();
      a->mq_msgsize = chance(60) ? 1 + rn(1000) : hostile_long();
      a->mq_curmsgs = hostile_long();
    }
  }
  if (diffmode) {
    // Known differences, left out so that they do not hide others (see
    // the README's known gaps): Linux gives O_PATH its meaning after
    // creating the queue and keeps path and unknown flags in F_GETFL;
    // mqsentry ignores them.
    flags &= O_ACCMODE | O_CREAT | O_EXCL | O_NONBLOCK | O_APPEND | O_ASYNC | O_DSYNC | O_SYNC |
             O_NOATIME | O_LARGEFILE | O_DIRECT | O_TRUNC | O_NOCTTY | O_CLOEXEC;
    int n = snprintf(detail, sizeof(detail), "name %p%s flags %#x mode %#o attr %p", (void*)p,
                     p == name ? " (string)" : p == ropage + 4096 - 8 ? " (ro page end)" : "", flags, mode, (void*)a);
    if ((uintptr_t)a >= (uintptr_t)scratch && (uintptr_t)a <= (uintptr_t)scratch + SCRATCH - sizeof(*a))
      snprintf(detail + n, sizeof(detail) - n, " {%ld %ld %ld}", a->mq_flags, a->mq_maxmsg, a->mq_msgsize);
    if (p == name) snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), " \"%.20s\"%s", name, strlen(name) > 20 ? "..." : "");
  }
  long fd = syscall(SYS_mq_open, p, flags, mode, a);
  note(C_MQ_OPEN, fd);
  if (fd >= 0 && junk_too_big(fd)) {
    if (p == name) syscall(SYS_mq_unlink, name);
    close(fd);
    return;
  }
  if (fd >= 0) {
    // Keep it as a junk descriptor.
    int i = rn(JUNKFDS);
    if (junkfd[i] >= 0) close(junkfd[i]);
    junkfd[i] = fd;
  }
}

static void h_mq_unlink(void) {
  char name[40];
  const char* p;
  switch (rn(5)) {
    case 0: p = NULL; break;
    case 1: p = bad_ptr(); break;
    case 2: p = chance(50) ? "" : "a/b"; break;
    default: snprintf(name, sizeof(name), "jk%d_%u", chance(50) ? me : (int)rn(6), rn(6)); p = name; break;
  }
  long r = syscall(SYS_mq_unlink, p);
  note(C_MQ_UNLINK, r);
}

// A hostile timeout: NULL, a bad pointer, invalid, in the past, or short.
static struct timespec* hostile_timeout(struct timespec* ts, int* ok) {
  *ok = 1;
  switch (rn(7)) {
    case 0: return NULL;
    case 1: {
      *ok = 0;
      struct timespec* b = bad_ptr();
      return b ? b : (struct timespec*)16;  // NULL would mean "no timeout"
    }
    case 2: *ts = abs_in_ms(0); ts->tv_nsec = 1000000000L + rn(5); *ok = 0; return ts;
    case 3: *ts = abs_in_ms(0); ts->tv_nsec = -1 - (long)rn(5); *ok = 0; return ts;
    case 4: ts->tv_sec = 0; ts->tv_nsec = 0; return ts;  // long past
    case 5: ts->tv_sec = -1; ts->tv_nsec = 0; return ts;
    default: *ts = abs_in_ms(rn(5)); return ts;
  }
}

static void h_mq_send(void) {
  uint32_t g1;
  int fd = pick_fd(1, &g1);
  char* buf;
  size_t len;
  unsigned prio = chance(80) ? rn(40) : (unsigned)rnd();
  struct timespec ts;
  int tok;
  struct timespec* t = hostile_timeout(&ts, &tok);
  if (!t) t = &ts, ts = abs_in_ms(rn(5));  // never block for long
  if (g1) {
    // On a ledger queue, only sends that must fail: a faulting buffer, a
    // bad priority, an oversized message or a bad timeout.
    switch (rn(4)) {
      case 0: buf = bad_ptr(); len = 1 + rn(PQ_MSGSIZE); if (buf == NULL) buf = (char*)16; break;
      case 1: buf = scratch; len = rn(PQ_MSGSIZE); prio = 32768 + rn(1000); break;
      case 2: buf = scratch; len = PQ_MSGSIZE + 1 + rn(1 << 20); break;
      default:
        buf = scratch; len = rn(PQ_MSGSIZE); ts = abs_in_ms(0);
        ts.tv_nsec = chance(50) ? 1000000000L : -1;
        t = &ts;
        break;
    }
  } else {
    int valid;
    len = chance(70) ? rn(400) : (size_t)hostile_long();
    buf = hostile_ptr(len < SCRATCH ? len : 16, &valid);
    if (valid && len >= 8) memcpy(buf, "JUNKJUNK", 8);
  }
  long r = syscall(SYS_mq_timedsend, fd, buf, len, prio, t);
  note(C_MQ_SEND, r);
  if (r == 0 && g1) fail("hostile mq_timedsend(len %zu, prio %u) succeeded on ledger gen %u", len, prio, g1 - 1);
}

static void h_mq_receive(void) {
  uint32_t g1;
  int fd = pick_fd(1, &g1);
  struct timespec ts;
  int tok;
  struct timespec* t = hostile_timeout(&ts, &tok);
  if (!t) t = &ts, ts = abs_in_ms(rn(5));
  char* buf;
  size_t len;
  unsigned* prio = NULL;
  int valid;
  int consumable = 0;  // the call could take a message it cannot deliver
  switch (rn(4)) {
    case 0:
      len = 8192 + rn(100);
      buf = bad_ptr();
      consumable = 1;
      break;
    case 1:  // a buffer too small
      len = rn(PQ_MSGSIZE);
      buf = scratch;
      break;
    case 2:  // a good buffer, a bad priority pointer
      len = 16384;
      buf = scratch;
      memset(scratch, 0, len);
      prio = bad_ptr();
      if (prio == NULL) prio = (unsigned*)16;
      consumable = 1;
      break;
    default:
      len = chance(50) ? (size_t)hostile_long() : 16384;
      buf = hostile_ptr(16384, &valid);
      if (valid) memset(buf, 0, 16384);
      if (len > 16384 && valid) len = 16384;
      prio = chance(50) ? (unsigned*)(scratch + SCRATCH - 2) : NULL;  // half in the guard
      consumable = 1;
      break;
  }
  long r = syscall(SYS_mq_timedreceive, fd, buf, len, prio, t);
  note(C_MQ_RECV, r);
  if (!g1) return;
  int e = r < 0 ? errno : 0;
  if (r >= 0 || (e == EFAULT && consumable && tok)) {
    // If a whole ledger message landed in our scratch buffer, it counts
    // as received; otherwise the queue may have lost one.
    struct ledger_hdr h;
    uintptr_t b = (uintptr_t)buf, lo = (uintptr_t)scratch;
    if (b >= lo && b <= lo + SCRATCH - PQ_MSGSIZE) {
      memcpy(&h, buf, HDR);
      if (h.magic == MAGIC && h.len <= PQ_MSGSIZE - HDR &&
          h.sender < (uint32_t)S->nproc && h.seq < MAXSEQ && ledger_csum(&h, buf + HDR) == h.csum) {
        check_msg(buf, HDR + h.len, g1 - 1, -1, V_RECEIVE, "hostile mq_timedreceive");
        return;
      }
    }
    add_budget(g1 - 1);
  }
}

static void h_mq_notify(void) {
  uint32_t g1;
  int fd = pick_fd(1, &g1);
  struct sigevent* sev;
  struct sigevent local;
  switch (rn(6)) {
    case 0: sev = NULL; break;
    case 1: sev = bad_ptr(); if (!sev) sev = (struct sigevent*)16; break;
    default: {
      memset(&local, 0, sizeof(local));
      static const int notifies[] = {SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, 3, 4, -1, 0x7fffffff};
      local.sigev_notify = notifies[rn(7)];
      static const int sigs[] = {0, SIGUSR1, SIGUSR2, 65, -1, 1000, 0};
      local.sigev_signo = sigs[rn(7)];
      if (local.sigev_notify == SIGEV_SIGNAL && local.sigev_signo == 0) local.sigev_signo = SIGRTMIN + 1;
      if (local.sigev_notify == SIGEV_THREAD || local.sigev_notify == 3 || local.sigev_notify == 4) {
        // glibc's SIGEV_THREAD: a netlink socket in sigev_signo, a
        // 32-byte cookie at sigev_value.
        local.sigev_signo = chance(50) ? nlfd : junkfd[rn(JUNKFDS)];
        int valid;
        local.sigev_value.sival_ptr = chance(70) ? scratch + rn(1024) : hostile_ptr(32, &valid);
      } else {
        local.sigev_value.sival_ptr = (void*)rnd();
      }
      sev = &local;
      break;
    }
  }
  long r = syscall(SYS_mq_notify, fd, sev);
  note(C_MQ_NOTIFY, r);
}

static void h_mq_getsetattr(void) {
  uint32_t g1;
  int fd = pick_fd(1, &g1);
  int valid;
  struct mq_attr* na = NULL;
  if (chance(60)) {
    na = hostile_ptr(sizeof(*na), &valid);
    if (valid) {
      na->mq_flags = chance(70) ? (rn(2) ? O_NONBLOCK : 0) : hostile_long();
      na->mq_maxmsg = hostile_long();
      na->mq_msgsize = hostile_long();
      na->mq_curmsgs = hostile_long();
    }
  }
  struct mq_attr* oa = chance(30) ? NULL : (struct mq_attr*)hostile_ptr(sizeof(struct mq_attr), &valid);
  if (oa == (struct mq_attr*)ropage && chance(50)) oa = (struct mq_attr*)(scratch + SCRATCH - 8);
  long r = syscall(SYS_mq_getsetattr, fd, na, oa);
  note(C_MQ_SETATTR, r);
}

static void h_peek(void) {
  uint32_t g1;
  int fd = pick_fd(1, &g1);
  struct mq_peek_attr* pa;
  int valid;
  if (chance(15)) {
    pa = bad_ptr();
  } else {
    pa = (struct mq_peek_attr*)hostile_ptr(sizeof(*pa), &valid);
    if (valid) {
      pa->offset = chance(70) ? (int32_t)rn(12) : (int32_t)hostile_long();
      pa->buf_len = chance(60) ? rn(512) : (size_t)hostile_long();
      int v2;
      pa->buf = chance(60) ? scratch + rn(SCRATCH) : hostile_ptr(pa->buf_len, &v2);
    }
  }
  long r = fcntl(fd, F_MQ_PEEK, pa);
  note(C_PEEK, r);
}

static void h_fcntl(void) {
  uint32_t g1;
  int fd = pick_fd(1, &g1);
  static const int cmds[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, F_GETOWN, F_GETSIG,
                             F_GETLK, F_SETLK, F_GETPIPE_SZ, 1034 /* F_GET_SEALS */, F_GETLEASE,
                             1042, 1043, 1100, 2048, -1, 0x7fffffff};
  int cmd = cmds[rn(sizeof(cmds) / sizeof(cmds[0]))];
  // Upstream gVisor differences, not mqsentry's (see the report): F_GETLEASE,
  // F_GETLK on non-files, F_GETOWN through glibc's F_GETOWN_EX.
  // F_SETFL O_DIRECT on a pipe (packet mode, which gVisor lacks).
  if (diffmode && (cmd == F_GETLEASE || cmd == F_GETLK || cmd == F_GETOWN)) cmd = F_GETFD;
  long arg = 0;
  int valid;
  switch (cmd) {
    case F_SETFD: arg = rn(4); break;
    case F_SETFL: arg = (chance(50) ? O_NONBLOCK : 0) | (chance(20) ? O_APPEND : 0) | (chance(10) ? O_DIRECT : 0) | (chance(10) ? O_NOATIME : 0); break;
    case F_DUPFD_CLOEXEC: arg = 900 + rn(50); break;
    case F_GETLK: arg = (long)hostile_ptr(64, &valid); if (arg == (long)ropage) arg = (long)scratch; break;
    case F_SETLK: arg = (long)bad_ptr(); break;
    default: arg = chance(50) ? 0 : (long)(scratch + rn(1024)); break;
  }
  if (diffmode) snprintf(detail, sizeof(detail), "fd %d (%s) cmd %d arg %#lx", fd, fdkind(fd), cmd, arg);
  if (diffmode && cmd == F_SETFL) arg &= ~O_DIRECT;
  long r = fcntl(fd, cmd, arg);
  note(C_FCNTL, r);
  if (cmd == F_DUPFD_CLOEXEC && r >= 0) close(r);
}

// ---------------------------------------------------------------------------
// Hostile SysV calls. Calls that could hit a ledger id by chance hold
// id_lock for reading and give up if they would.

static void h_msgget(void) {
  key_t key = chance(30) ? IPC_PRIVATE : (key_t)(0x1000 + rn(16));
  int flags = (chance(60) ? IPC_CREAT : 0) | (chance(20) ? IPC_EXCL : 0) | (int)rn(01000);
  if (chance(5)) flags = (int)rnd();
  if (key == IPC_PRIVATE) flags = (flags & 0777) | 0600;
  long id = msgget(key, flags);
  note(C_MSGGET, id);
  if (id >= 0) {
    int i = rn(JUNKIDS);
    if (junkid[i] >= 0 && junkid[i] != id && chance(70)) {
      // Remove the queue we drop, unless it is somebody's keyed one.
      pthread_rwlock_rdlock(&S->id_lock);
      if (!is_ledger_id(junkid[i])) msgctl(junkid[i], IPC_RMID, NULL);
      pthread_rwlock_unlock(&S->id_lock);
    }
    junkid[i] = id;
  }
}

static void h_msgsnd(void) {
  // Either to any id with arguments that must fail, or to a non-ledger id
  // with anything.
  int must_fail = chance(30);
  static struct sysv_msg m;
  void* p = &m;
  long size;
  int flags = IPC_NOWAIT;
  if (chance(10)) flags = (int)rnd();
  if (chance(5)) flags &= ~IPC_NOWAIT;  // may block until SIGALRM
  long mtype = chance(80) ? 1 + rn(5) : hostile_long();
  int valid;
  if (must_fail) {
    switch (rn(3)) {
      case 0: p = bad_ptr(); size = rn(100); break;
      case 1: mtype = -(long)rn(5); size = rn(100); break;
      default: size = chance(50) ? 8193 + rn(100000) : -1 - (long)rn(100); break;
    }
  } else {
    size = chance(80) ? rn(300) : hostile_long();
    p = hostile_ptr(size > 0 && size < 8192 ? size + 8 : 16, &valid);
  }
  if (p == (void*)&m || ((char*)p >= scratch && (char*)p < scratch + SCRATCH - 8)) {
    memcpy(p, &mtype, sizeof(mtype));
    if (size >= 8 && size < 8192 && (char*)p + 16 <= scratch + SCRATCH) memcpy((char*)p + 8, "JUNKJUNK", 8);
  }
  pthread_rwlock_rdlock(&S->id_lock);
  int id;
  if (must_fail && chance(50)) {
    id = SID(sslot_load(rn(NSQ)));
  } else {
    id = pick_id();
    if (is_ledger_id(id)) {
      pthread_rwlock_unlock(&S->id_lock);
      return;
    }
  }
  int ledger = is_ledger_id(id);
  if (ledger || diffmode) flags |= IPC_NOWAIT;
  long r = syscall(SYS_msgsnd, id, p, size, flags);
  note(C_MSGSND, r);
  pthread_rwlock_unlock(&S->id_lock);
  if (r == 0 && ledger) fail("hostile msgsnd(size %ld, mtype %ld) succeeded on ledger id %d", size, mtype, id);
}

static void h_msgrcv(void) {
  long size = chance(70) ? (long)rn(9000) : hostile_long();
  static const long typs[] = {0, 1, 2, -1, -3, LONG_MIN, LONG_MAX, 5, -LONG_MAX};
  long msgtyp = chance(80) ? typs[rn(9)] : (long)rnd();
  int flags = IPC_NOWAIT;
  if (chance(30)) flags |= MSG_NOERROR;
  if (chance(20)) flags |= MSG_EXCEPT;
  if (chance(20)) flags |= MSG_COPY;
  if (chance(5)) flags = (int)rnd();
  int valid;
  void* p = hostile_ptr(size > 0 && size < 16384 ? size + 8 : 16, &valid);
  if (valid) memset(p, 0, size > 0 && size < 16384 ? size + 8 : 16);
  pthread_rwlock_rdlock(&S->id_lock);
  int id, slot = -1;
  if (chance(25)) {
    slot = rn(NSQ);
    id = SID(sslot_load(slot));
  } else {
    id = pick_id();
    if (is_ledger_id(id)) {
      pthread_rwlock_unlock(&S->id_lock);
      return;
    }
  }
  if (slot >= 0 || diffmode) flags |= IPC_NOWAIT;
  long r = syscall(SYS_msgrcv, id, p, size, msgtyp, flags);
  int e = errno;
  note(C_MSGRCV, r);
  uint32_t gen = slot >= 0 ? SGEN(sslot_load(slot)) : 0;
  pthread_rwlock_unlock(&S->id_lock);
  if (slot < 0 || (flags & MSG_COPY)) return;
  if (r >= 0 || e == EFAULT) {
    // A ledger message taken: received if it came out whole, else the
    // queue may be one short.
    if (r >= HDR && valid && (char*)p + 8 + r <= scratch + SCRATCH) {
      struct ledger_hdr h;
      memcpy(&h, (char*)p + 8, HDR);
      if (h.magic == MAGIC && (long)h.len == r - HDR && h.sender < (uint32_t)S->nproc && h.seq < MAXSEQ &&
          ledger_csum(&h, (char*)p + 8 + HDR) == h.csum) {
        long t;
        memcpy(&t, p, sizeof(t));
        check_msg((char*)p + 8, r, gen, t - 1, V_RECEIVE, "hostile msgrcv");
        return;
      }
    }
    add_budget(gen);
  }
}

static void h_msgctl(void) {
  static const int cmds[] = {IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, MSG_INFO, MSG_STAT, MSG_STAT_ANY, 4, 99, -1};
  int cmd = cmds[rn(10)];
  if (chance(30)) cmd |= 0x100;  // IPC_64
  if (chance(3)) cmd = (int)rnd();
  int valid;
  void* buf = hostile_ptr(sizeof(struct msqid_ds), &valid);
  if (buf == ropage && chance(50)) buf = scratch + SCRATCH - 40;
  if (valid && (cmd & 0xff) == IPC_SET) {
    struct msqid_ds* ds = buf;
    ds->msg_perm.uid = chance(70) ? 0 : (uid_t)rnd();
    ds->msg_perm.gid = chance(70) ? 0 : (gid_t)rnd();
    ds->msg_perm.mode = chance(70) ? 0600 : (unsigned short)rnd();
    ds->msg_qbytes = chance(50) ? rn(20000) : (unsigned long)hostile_long();
  }
  pthread_rwlock_rdlock(&S->id_lock);
  int id;
  int base = cmd & ~0x100;
  // Whatever an implementation might take for IPC_RMID or IPC_SET stays off
  // the ledger queues.
  int mutating = (cmd & 0xff) == IPC_RMID || (cmd & 0xff) == IPC_SET;
  if (base == MSG_STAT || base == MSG_STAT_ANY) {
    id = rn(96);  // an index: read-only
  } else if (!mutating && chance(30)) {
    id = SID(sslot_load(rn(NSQ)));
  } else {
    id = pick_id();
  }
  if (mutating && is_ledger_id(id)) {
    pthread_rwlock_unlock(&S->id_lock);
    return;
  }
  if (diffmode && valid && (cmd & 0xff) == IPC_SET)
    snprintf(detail, sizeof(detail), "IPC_SET cmd %#x qbytes %#lx", cmd, (unsigned long)((struct msqid_ds*)buf)->msg_qbytes);
  long r = syscall(SYS_msgctl, id, cmd, buf);
  note(C_MSGCTL, r);
  pthread_rwlock_unlock(&S->id_lock);
}

// ---------------------------------------------------------------------------
// kcmp with hostile arguments; answers checked for consistency.

static pid_t pick_pid(void) {
  switch (rn(8)) {
    case 0: case 1: return getpid();
    case 2: case 3: return S->pids[rn(S->nproc)];
    case 4: return S->parent;
    case 5: return 0;
    case 6: return -1 - (int)rn(3);
    default: return chance(50) || diffmode ? INT_MAX : 1;  // pid 1 differs between kernels
  }
}

static void h_kcmp(void) {
  pid_t a = pick_pid(), b = pick_pid();
  int type = chance(90) ? (int)rn(8) : (chance(50) ? 8 + (int)rn(10) : -1);
  uint32_t g1;
  unsigned long i1 = chance(90) ? (unsigned long)pick_fd(1, &g1) : (unsigned long)rnd();
  unsigned long i2 = chance(90) ? (unsigned long)pick_fd(1, &g1) : (unsigned long)rnd();
  if (type == KCMP_EPOLL_TFD) {
    int valid;
    uint32_t* slot = hostile_ptr(12, &valid);
    if (valid) {
      slot[0] = chance(70) ? (uint32_t)epfd : (uint32_t)pick_fd(1, &g1);
      slot[1] = chance(70) ? (uint32_t)junkfd[rn(JUNKFDS)] : (uint32_t)rnd();
      slot[2] = chance(80) ? rn(2) : (uint32_t)rnd();
    }
    i2 = (unsigned long)slot;
  }
  errno = 0;
  long r = syscall(SYS_kcmp, a, b, type, i1, i2);
  note(C_KCMP, r);
  if (r >= 0 && r > 2) fail("kcmp(%d, %d, %d, %lu, %#lx) = %ld", a, b, type, i1, i2, r);
  if (r < 0 && errno != ESRCH && errno != EPERM && errno != EINVAL && errno != EBADF && errno != EFAULT &&
      errno != ENOENT && errno != EOPNOTSUPP && errno != ENOSYS)
    fail("kcmp(%d, %d, %d, ...) failed with %s", a, b, type, strerror(errno));
  // Within this process (single-threaded view of the fds the main thread
  // owns), the answers are antisymmetric and reflexive.
  // A process compared with itself: its VM, fd table, fs and handlers are
  // its own (the side thread shares them).
  if (type >= 1 && type <= 6 && r >= 0 && a == b && r != 0)
    fail("kcmp(%d, %d, type %d) of one process = %ld", a, b, type, r);
  // Answers are antisymmetric for processes that live on.
  if (type >= 1 && type <= 4 && r >= 0 && a > 0 && b > 0) {
    long back = syscall(SYS_kcmp, b, a, type, i2, i1);
    if (back >= 0 && !((r == 0 && back == 0) || (r == 1 && back == 2) || (r == 2 && back == 1)))
      fail("kcmp(%d, %d, type %d) = %ld, reversed %ld", a, b, type, r, back);
  }
}

// ---------------------------------------------------------------------------
// Misc.

static void h_proc(void) {
  static const char* files[] = {"/proc/sysvipc/msg", "/proc/sys/kernel/msgmax", "/proc/sys/kernel/msgmni",
                                "/proc/sys/kernel/msg_next_id", "/proc/sys/fs/mqueue/queues_max",
                                "/proc/sys/fs/mqueue/msg_max", "/proc/self/fdinfo/3"};
  int fd = open(files[rn(7)], O_RDONLY);
  note(C_PROC, fd);
  if (fd >= 0) {
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    close(fd);
  }
}

static void h_signal(void) {
  pid_t p = S->pids[rn(S->nproc)];
  long r = kill(p, chance(50) ? SIGUSR1 : SIGUSR2);
  note(C_SIGNAL, r);
}

// ---------------------------------------------------------------------------
// The second thread: calls that neither consume nor inject ledger messages.

static void* side_thread(void* arg) {
  rng_state = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ULL + 1;
  // Signals go to the main thread, whose blocked calls they interrupt.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  int mine[8];
  for (int i = 0; i < 8; i++) mine[i] = -1;
  char* buf = malloc(16384);
  while (!S->stop) {
    int i = rn(8);
    switch (rn(9)) {
      case 0: {
        if (mine[i] >= 0) close(mine[i]);
        char name[40];
        snprintf(name, sizeof(name), "/jks_%u", rn(6));
        struct mq_attr a = {0, 1 + rn(8), 1 + rn(200), 0};
        mine[i] = mq_open(name, O_RDWR | O_CREAT | O_NONBLOCK, 0666, chance(90) ? &a : NULL);
        if (mine[i] >= 0 && junk_too_big(mine[i])) {
          mq_unlink(name);
          close(mine[i]);
          mine[i] = -1;
        }
        if (mine[i] < 0 && chance(50)) mine[i] = eventfd(0, 0);
        break;
      }
      case 1: {
        // Peek (never consumes) at any descriptor, ledger ones included.
        struct mq_peek_attr pa = {(int32_t)rn(10) - 1, 0, chance(80) ? 16384 : (size_t)hostile_long(), buf};
        if (pa.buf_len > 16384) pa.buf = scratch2 + SCRATCH - 100;  // runs into the guard
        note(C_PEEK, fcntl(chance(50) ? mine[i] : (int)rn(40), F_MQ_PEEK, &pa));
        break;
      }
      case 2: {
        struct mq_attr a;
        note(C_MQ_SETATTR, syscall(SYS_mq_getsetattr, chance(50) ? mine[i] : (int)rn(40), NULL, &a));
        break;
      }
      case 3: {
        struct msqid_ds ds;
        int cmds[] = {IPC_STAT, MSG_STAT, MSG_STAT_ANY, IPC_INFO, MSG_INFO};
        note(C_MSGCTL, msgctl((int)rn(70), cmds[rn(5)], &ds));
        break;
      }
      case 4: {
        // MSG_COPY never consumes.
        note(C_MSGRCV, msgrcv((int)rn(70), buf, 8000, rn(8), MSG_COPY | IPC_NOWAIT | (chance(30) ? MSG_NOERROR : 0)));
        break;
      }
      case 5: {
        pid_t a = pick_pid(), b = pick_pid();
        note(C_KCMP, syscall(SYS_kcmp, a, b, (int)rn(8), (unsigned long)rn(40), (unsigned long)rn(40)));
        break;
      }
      case 6:
        h_proc();
        break;
      case 7: {
        // Send to this thread's own junk descriptors only (which the main
        // thread may have made blocking: never wait long).
        struct timespec ts = abs_in_ms(2);
        if (mine[i] >= 0) note(C_MQ_SEND, mq_timedsend(mine[i], "JUNKJUNKside", 12, rn(5), &ts));
        if (mine[i] >= 0) note(C_MQ_RECV, mq_timedreceive(mine[i], buf, 16384, NULL, &ts));
        break;
      }
      default: {
        struct sigevent sev = {0};
        sev.sigev_notify = chance(50) ? SIGEV_NONE : SIGEV_SIGNAL;
        sev.sigev_signo = SIGRTMIN + 1;
        if (mine[i] >= 0) note(C_MQ_NOTIFY, mq_notify(mine[i], chance(70) ? &sev : NULL));
        break;
      }
    }
  }
  for (int i = 0; i < 8; i++)
    if (mine[i] >= 0) close(mine[i]);
  free(buf);
  return NULL;
}

// ---------------------------------------------------------------------------
// Fuzzing process.

static volatile sig_atomic_t nsig;
static void on_signal(int sig) {
  nsig++;
  if (sig > 0 && sig < 65) sigseen[sig] = 1;
}

static void on_fault(int sig, siginfo_t* si, void* uc) {
  char buf[160];
  int n = snprintf(buf, sizeof(buf), "proc %d: signal %d at address %p, pc %#llx\n", me, sig, si->si_addr,
                   (unsigned long long)((ucontext_t*)uc)->uc_mcontext.gregs[REG_RIP]);
  (void)!write(2, buf, n);
  signal(sig, SIG_DFL);
  raise(sig);
}

static void install_handlers(void) {
  struct sigaction fa;
  memset(&fa, 0, sizeof(fa));
  fa.sa_sigaction = on_fault;
  fa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &fa, NULL);
  sigaction(SIGBUS, &fa, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);  // no SA_RESTART
  sigaction(SIGALRM, &sa, NULL);
  sigaction(SIGRTMIN + 1, &sa, NULL);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGIO, SIG_IGN);
  signal(SIGURG, SIG_IGN);
}

static void one_op(void);

static void fuzz_process(int idx, uint64_t seed, double seconds) {
  me = idx;
  rng_state = seed * 0x9E3779B97F4A7C15ULL + idx + 1;
  last_seen = calloc((size_t)MAXPROC * MAXGEN * NCLS, sizeof(uint32_t));
  int devnull = open("/dev/null", O_RDWR);
  if (devnull > 0) {
    dup2(devnull, 0);
    close(devnull);
  }
  for (int i = 0; i < JUNKFDS; i++) junkfd[i] = -1;
  for (int i = 0; i < JUNKIDS; i++) junkid[i] = -1;
  epfd = epoll_create1(0);
  nlfd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
  for (int i = 0; i < JUNKFDS; i++) refill_junkfd(i);
  for (int s = 0; s < NPQ; s++) reopen_pslot(s);
  pthread_t side;
  int have_side = pthread_create(&side, NULL, side_thread, (void*)(uintptr_t)(seed + idx * 7 + 3)) == 0;
  // The interval timer interrupts blocked calls.
  struct itimerval it = {{0, 15000 + rn(10000)}, {0, 15000}};
  setitimer(ITIMER_REAL, &it, NULL);

  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  uint64_t ops = 0;
  for (;;) {
    if ((ops & 63) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (S->stop || (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >= seconds) break;
    }
    ops++;
    one_op();
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  S->ops[idx] = ops;
  if (have_side) {
    // The side thread checks S->stop; make sure it ends with us.
    S->stop = 1;
    pthread_join(side, NULL);
  }
  // Once every process has stopped sending, the removed queues this one
  // kept are drained.
  __atomic_fetch_add(&S->finished, 1, __ATOMIC_SEQ_CST);
  for (int i = 0; i < 30000 && __atomic_load_n(&S->finished, __ATOMIC_SEQ_CST) < S->nproc; i++) usleep(1000);
  drain_pending(1);
  for (int i = 0; i < JUNKIDS; i++) {
    pthread_rwlock_rdlock(&S->id_lock);
    if (junkid[i] >= 0 && !is_ledger_id(junkid[i])) msgctl(junkid[i], IPC_RMID, NULL);
    pthread_rwlock_unlock(&S->id_lock);
  }
  _exit(0);
}

static void one_op(void) {
  {
    uint32_t k = rn(1000);
    // Not compared: /proc reads, signals, and F_MQ_PEEK (Linux has none).
    if (diffmode && ((k >= 950 && k < 965) || (k >= 250 && k < 270) || (k >= 700 && k < 730))) return;
    if (k < 130) v_mq_send();
    else if (k < 250) v_mq_receive();
    else if (k < 270) v_peek();
    else if (k < 280) v_getattr();
    else if (k < 400) ids_read_locked(v_msgsnd_locked);
    else if (k < 510) ids_read_locked(v_msgrcv_locked);
    else if (k < 530) ids_read_locked(v_msgcopy_locked);
    else if (k < 545) ids_read_locked(v_msgctl_locked);
    else if (k < 546) {
      if (chance(25)) v_rotate();
    } else if (k < 547) drain_pending(0);
    else if (k < 570) h_mq_open();
    else if (k < 580) h_mq_unlink();
    else if (k < 620) h_mq_send();
    else if (k < 660) h_mq_receive();
    else if (k < 680) h_mq_notify();
    else if (k < 700) h_mq_getsetattr();
    else if (k < 730) h_peek();
    else if (k < 760) h_fcntl();
    else if (k < 780) h_msgget();
    else if (k < 820) h_msgsnd();
    else if (k < 860) h_msgrcv();
    else if (k < 890) h_msgctl();
    else if (k < 950) h_kcmp();
    else if (k < 960) h_proc();
    else if (k < 965) h_signal();
    else refill_junkfd(rn(JUNKFDS));
  }
}

// -d N: N operations in this one process, then the usual drain and verdict.
static void diff_run(uint64_t seed, long n) {
  me = 0;
  rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
  last_seen = calloc((size_t)MAXPROC * MAXGEN * NCLS, sizeof(uint32_t));
  // The same starting point everywhere: no inherited descriptors, no
  // capability that one kernel's root has and the other's lacks.
  for (int fd = 3; fd < 1024; fd++) close(fd);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull > 0) {
    dup2(devnull, 0);
    close(devnull);
  }
  install_handlers();
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) == 0) {
    for (int c = 0; c < 64; c++) {
      if (c == CAP_SYS_RESOURCE || c == CAP_NET_RAW || c == CAP_IPC_LOCK) {
        data[c / 32].effective &= ~(1u << (c % 32));
        data[c / 32].permitted &= ~(1u << (c % 32));
        data[c / 32].inheritable &= ~(1u << (c % 32));
      }
    }
    syscall(SYS_capset, &hdr, data);
  }
  struct rlimit rl = {819200, 819200};
  setrlimit(RLIMIT_MSGQUEUE, &rl);
  rl.rlim_cur = rl.rlim_max = 4096;
  setrlimit(RLIMIT_NOFILE, &rl);
  for (int i = 0; i < JUNKFDS; i++) junkfd[i] = -1;
  for (int i = 0; i < JUNKIDS; i++) junkid[i] = -1;
  epfd = epoll_create1(0);
  nlfd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
  for (int i = 0; i < JUNKFDS; i++) refill_junkfd(i);
  for (int s = 0; s < NPQ; s++) reopen_pslot(s);
  for (long i = 0; i < n; i++) one_op();
  S->ops[0] = n;
  S->finished = 1;
  drain_pending(1);
  for (int s = 0; s < NPQ; s++) {
    if (pfd[s] >= 0) mq_close(pfd[s]);
  }
}

// ---------------------------------------------------------------------------
// Parent: set-up, supervision, drain and verdict.

static void init_shared_locks(void) {
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  for (int i = 0; i < NPQ; i++) pthread_mutex_init(&S->pslot_lock[i], &ma);
  pthread_rwlockattr_t ra;
  pthread_rwlockattr_init(&ra);
  pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
  // Valid SysV calls keep taking it for reading: removals must get in.
  pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&S->id_lock, &ra);
}

static void drain(void) {
  me = -1;
  static struct sysv_msg m;
  for (int s = 0; s < NSQ; s++) {
    uint64_t v = S->sslot[s];
    long r;
    while ((r = msgrcv(SID(v), &m, sizeof(m.mtext), 0, IPC_NOWAIT)) >= 0)
      check_msg(m.mtext, r, SGEN(v), m.mtype - 1, V_RECEIVE, "final drain msgrcv");
    if (errno != ENOMSG) fail("final drain of SysV slot %d: %s", s, strerror(errno));
    msgctl(SID(v), IPC_RMID, NULL);
  }
  for (int s = 0; s < NPQ; s++) {
    mqd_t fd = mq_open(pq_name[s], O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
      fail("final open of %s: %s", pq_name[s], strerror(errno));
      continue;
    }
    char buf[PQ_MSGSIZE];
    unsigned prio;
    long r;
    while ((r = mq_receive(fd, buf, sizeof(buf), &prio)) >= 0)
      check_msg(buf, r, S->pslot_gen[s], prio_cls(prio), V_RECEIVE, "final drain mq_receive");
    if (errno != EAGAIN) fail("final drain of %s: %s", pq_name[s], strerror(errno));
    mq_close(fd);
    mq_unlink(pq_name[s]);
  }
}

static int verdict(double elapsed) {
  static uint32_t lost[MAXGEN];
  uint64_t sent = 0, failed = 0, received = 0, eaten = 0;
  for (int p = 0; p < S->nproc; p++) {
    for (uint32_t s = 0; s < S->nseq[p]; s++) {
      uint8_t st = S->state[p][s], r = S->recvd[p][s];
      uint32_t g = S->mgen[p][s];
      if (st == ST_OK) sent++;
      if (st == ST_FAILED) failed++;
      received += r;
      if (r > 1) fail("message proc %d seq %u received %u times", p, s, r);
      if (st == ST_FAILED && r) fail("message proc %d seq %u received although its send failed", p, s);
      if (st == ST_ATTEMPT) fail("message proc %d seq %u: send never finished", p, s);
      if (st == ST_OK && r == 0) lost[g]++;
    }
  }
  for (uint32_t g = 0; g < S->next_gen && g < MAXGEN; g++) {
    if (!lost[g]) continue;
    if (lost[g] <= S->gen_budget[g]) {
      eaten += lost[g];
    } else {
      int current = 0;
      for (int k = 0; k < NPQ; k++) current |= S->gen_kind[g] == 1 && S->pslot_gen[k] == g;
      for (int k = 0; k < NSQ; k++) current |= S->gen_kind[g] == 2 && SGEN(S->sslot[k]) == g;
      char which[120] = "";
      int w = 0;
      for (int p = 0; p < S->nproc && w < 100; p++)
        for (uint32_t q = 0; q < S->nseq[p] && w < 100; q++)
          if (S->state[p][q] == ST_OK && !S->recvd[p][q] && S->mgen[p][q] == g)
            w += snprintf(which + w, sizeof(which) - w, " %d/%u", p, q);
      fail("queue gen %u (%s, %s): %u messages lost, only %u hostile receives could have taken them:%s", g,
           S->gen_kind[g] == 1 ? "POSIX" : "SysV", current ? "current" : "old", lost[g], S->gen_budget[g], which);
    }
  }
  uint64_t ops = 0;
  for (int p = 0; p < S->nproc; p++) ops += S->ops[p];
  printf("ipcfuzz: %d processes, %.1f s, %llu operations (main threads), %u queue generations\n", S->nproc,
         elapsed, (unsigned long long)ops, S->next_gen);
  printf("ledger: %llu messages sent, %llu sends failed as allowed, %llu received (%llu drained from queues being "
         "removed), %llu taken by hostile receives\n",
         (unsigned long long)sent, (unsigned long long)failed, (unsigned long long)received,
         (unsigned long long)S->drained_at_removal, (unsigned long long)eaten);
  for (int c = 0; c < NCALLS; c++) {
    if (!call_names[c]) continue;
    uint64_t tot = 0;
    for (int e = 0; e < 136; e++) tot += S->stats[c][e];
    if (!tot) continue;
    printf("  %-18s %8llu calls: ok %u", call_names[c], (unsigned long long)tot, S->stats[c][0]);
    for (int e = 1; e < 136; e++)
      if (S->stats[c][e]) printf(", %s %u", strerrorname_np(e) ? strerrorname_np(e) : "?", S->stats[c][e]);
    printf("\n");
  }
  printf("(* hostile arguments)\n");
  if (S->nfail) {
    printf("%u failures; first ones:\n", S->nfail);
    for (uint32_t i = 0; i < S->nfail && i < 32; i++) printf("  %s\n", S->faillog[i]);
  }
  return S->nfail == 0;
}

int main(int argc, char** argv) {
  double seconds = 20;
  int nproc = 4;
  long difflen = 0;
  uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-t") && i + 1 < argc) seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "-p") && i + 1 < argc) nproc = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-s") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "-v")) verbose = 1;
    else if (!strcmp(argv[i], "-d") && i + 1 < argc) diffmode = 1, difflen = atol(argv[++i]);
    else {
      fprintf(stderr, "usage: %s [-t SECONDS] [-p PROCS] [-s SEED] [-v] [-d CALLS]\n", argv[0]);
      return 2;
    }
  }
  if (nproc < 1 || nproc > MAXPROC) nproc = 4;
  if (diffmode) nproc = 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ipcfuzz: seed %#llx, %d processes, %.0f s\n", (unsigned long long)seed, nproc, seconds);
  if (geteuid() == 0) {
    if (unshare(CLONE_NEWIPC) != 0) printf("warning: no new IPC namespace (%s): using the current one\n", strerror(errno));
  } else {
    printf("warning: not root: using the current IPC namespace\n");
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_MSGQUEUE, &rl);
  }
  S = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (S == MAP_FAILED) {
    perror("mmap shared");
    return 2;
  }
  S->nproc = nproc;
  S->parent = getpid();
  init_shared_locks();
  setup_memory();
  rng_state = seed | 1;

  // Ledger queues.
  struct mq_attr a = {0, PQ_MAXMSG, PQ_MSGSIZE, 0};
  for (int s = 0; s < NPQ; s++) {
    snprintf(pq_name[s], sizeof(pq_name[s]), "/ipcfuzz_L%d_%d", s, (int)getpid());
    mq_unlink(pq_name[s]);
    mqd_t fd = mq_open(pq_name[s], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    if (fd < 0) {
      printf("cannot create %s: %s\nIPCFUZZ FAIL\n", pq_name[s], strerror(errno));
      return 1;
    }
    if (s == 0) {
      char buf[PQ_MSGSIZE];
      struct mq_peek_attr pa = {0, 0, sizeof(buf), buf};
      S->have_peek = !(fcntl(fd, F_MQ_PEEK, &pa) < 0 && errno == EINVAL);
      printf("F_MQ_PEEK: %s\n", S->have_peek ? "implemented" : "not implemented (EINVAL), checked as such");
    }
    mq_close(fd);
    S->pslot_gen[s] = new_gen(1);
  }
  for (int s = 0; s < NSQ; s++) {
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0) {
      printf("msgget: %s\nIPCFUZZ FAIL\n", strerror(errno));
      return 1;
    }
    uint32_t g = new_gen(2);
    S->sslot[s] = ((uint64_t)g << 32) | (uint32_t)id;
  }

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (diffmode) {
    S->pids[0] = getpid();
    diff_run(seed, difflen);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    drain();
    int ok = verdict((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    printf("%s\n", ok ? "IPCFUZZ PASS" : "IPCFUZZ FAIL");
    return ok ? 0 : 1;
  }
  for (int i = 0; i < nproc; i++) S->pids[i] = 0;
  // Handlers first: the children signal each other from the start.
  install_handlers();
  // Children need every sibling's pid: fork them stopped behind a pipe.
  int go[2];
  if (pipe(go) != 0) return 2;
  for (int i = 0; i < nproc; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      close(go[1]);
      char c;
      while (read(go[0], &c, 1) < 0 && errno == EINTR) {
      }
      close(go[0]);
      fuzz_process(i, seed, seconds);
    }
    if (pid < 0) {
      perror("fork");
      return 2;
    }
    S->pids[i] = pid;
  }
  close(go[0]);
  close(go[1]);

  // Supervise: every child must exit normally, within a grace period.
  int ok = 1, left = nproc;
  double limit = seconds + 15;
  while (left > 0) {
    int st;
    pid_t p = waitpid(-1, &st, WNOHANG);
    if (p > 0) {
      left--;
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        ok = 0;
        char what[64];
        if (WIFSIGNALED(st))
          snprintf(what, sizeof(what), "killed by signal %d", WTERMSIG(st));
        else
          snprintf(what, sizeof(what), "exit status %d", WEXITSTATUS(st));
        fail("fuzzing process %d: %s", p, what);
      }
      continue;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (el > seconds) S->stop = 1;
    if (el > limit) {
      fail("%d fuzzing processes still running %.0f s after the deadline: hung", left, el - seconds);
      for (int i = 0; i < nproc; i++) kill(S->pids[i], SIGKILL);
      limit = 1e18;
      ok = 0;
    }
    usleep(20000);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  drain();
  ok = verdict(elapsed) && ok;
  printf("%s\n", ok ? "IPCFUZZ PASS" : "IPCFUZZ FAIL");
  return ok ? 0 : 1;
}
