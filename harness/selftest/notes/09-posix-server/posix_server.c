/*
 * posix_server.c - the server of note 003 (a POSIX IPC client-server: a
 * connection area in shared memory, two named semaphores, two message queues
 * per client, a pipe from the handlers to the main process), its logic kept.
 *
 * Its interface is the exercise's: -n PREFIX, the names derived from it, the
 * readiness line, the text requests and responses of §5, the stop lines. Its
 * own debugging lines (log_info) go to stdout with printf(), as in the note.
 * SIGINT and SIGTERM, which the note does not handle, lead into the note's
 * own stop (the loop ends, server_shutdown()).
 */
#define _GNU_SOURCE     /* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_lab.h"

#define log_info(...)       printf(__VA_ARGS__)
#define log_warning(...)    fprintf(stderr, "posix_server: " __VA_ARGS__)

static struct {
    /* the connection area and its two semaphores */
    int conn_buf_fd;
    struct conn_area *conn_buf;
    sem_t *conn_buf_ready;
    sem_t *conn_new_ready;

    /* handlers -> main process */
    int pipefd[2];

    char shm_name[NAME_SIZE];
    char ready_name[NAME_SIZE];
    char conn_name[NAME_SIZE];
} ipc_server;

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void usage(const char *what)
{
    fprintf(stderr, "posix_server: %s\n", what);
    fprintf(stderr, "usage: posix_server [-n PREFIX]\n");
    exit(2);
}

static const char *parse_args(int argc, char *argv[])
{
    const char *prefix = DEFAULT_PREFIX;
    size_t len;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":n:")) != -1) {
        if (opt == 'n')
            prefix = optarg;
        else if (opt == ':')
            usage("option -n needs an argument");
        else
            usage("unknown option");
    }
    if (optind < argc)
        usage("unexpected operand");
    len = strlen(prefix);
    if (len < 2 || len > PREFIX_MAX || prefix[0] != '/' || strchr(prefix + 1, '/') != NULL)
        usage("invalid PREFIX");
    return prefix;
}

/* One response on the client's response queue. */
static int respond(mqd_t mqrsp, const char *text)
{
    return mq_send(mqrsp, text, strlen(text), 0);
}

static int parse_int(const char *s, int *value)
{
    const char *digits = s[0] == '-' ? s + 1 : s;
    size_t n = strlen(digits);
    long v;

    if (n == 0 || n > 10 || strspn(digits, "0123456789") != n)
        return -1;
    v = strtol(s, NULL, 10);
    if (v < -1000000000L || v > 1000000000L)
        return -1;
    *value = (int)v;
    return 0;
}

static int handle_req_add(const char *args, mqd_t mqrsp)
{
    char a_text[32], b_text[32], rsp[MESSAGE_MAX];
    const char *blank = args != NULL ? strchr(args, ' ') : NULL;
    int a, b;

    if (blank == NULL || blank - args >= (long)sizeof a_text || strlen(blank + 1) >= sizeof b_text)
        return respond(mqrsp, "error usage: add A B (integers from -1000000000 to 1000000000)");
    memcpy(a_text, args, (size_t)(blank - args));
    a_text[blank - args] = '\0';
    strcpy(b_text, blank + 1);
    if (parse_int(a_text, &a) == -1 || parse_int(b_text, &b) == -1)
        return respond(mqrsp, "error usage: add A B (integers from -1000000000 to 1000000000)");
    snprintf(rsp, sizeof rsp, "ok %d", a + b);
    log_info("handle_req_add: a=%d, b=%d, c=%d\n", a, b, a + b);
    return respond(mqrsp, rsp);
}

static int handle_req_disconnect(mqd_t mqrsp)
{
    respond(mqrsp, "ok bye");
    log_info("handle_req_disconnect\n");
    return -1;
}

/* The note's way to stop the server: an int into the pipe, then a post of
 * the semaphore the main process waits on. */
static int handle_req_kill_server(struct conn_area *conn, mqd_t mqrsp)
{
    int kill_server = 1;
    char line[128];

    respond(mqrsp, "ok server stopping");
    snprintf(line, sizeof line, "posix_server: kill_server from client %ld\n", (long)conn->client_pid);
    if (write(STDERR_FILENO, line, strlen(line)) < 0)
        return -1;
    if (write(ipc_server.pipefd[1], &kill_server, sizeof(int)) == -1)
        log_warning("write: %s\n", strerror(errno));
    sem_post(ipc_server.conn_new_ready);
    log_info("handle_req_kill_server\n");
    return -1;
}

/* One request (len bytes in req): 0 to go on, -1 to end the session. */
static int handle_request(char *req, ssize_t len, struct conn_area *conn, mqd_t mqrsp)
{
    char rsp[MESSAGE_MAX];
    char *args;

    if (memchr(req, '\0', (size_t)len) != NULL)
        return respond(mqrsp, "error malformed request (a NUL byte)") == -1 ? -1 : 0;
    req[len] = '\0';
    args = strchr(req, ' ');
    if (args != NULL)
        *args++ = '\0';
    if (strcmp(req, "add") == 0)
        return handle_req_add(args, mqrsp) == -1 ? -1 : 0;
    if (strcmp(req, "disconnect") == 0 && args == NULL)
        return handle_req_disconnect(mqrsp);
    if (strcmp(req, "kill_server") == 0 && args == NULL)
        return handle_req_kill_server(conn, mqrsp);
    if (strcmp(req, "disconnect") == 0 || strcmp(req, "kill_server") == 0)
        snprintf(rsp, sizeof rsp, "error usage: %.16s", req);
    else
        snprintf(rsp, sizeof rsp, "error unknown request '%.64s'", req);
    return respond(mqrsp, rsp) == -1 ? -1 : 0;
}

/* The note's handler: fork, and the child serves the client until it says
 * disconnect or kill_server, or a receive fails. */
static void handle_connection(struct conn_area *conn)
{
    char req[MESSAGE_MAX + 1];
    char hello[64];
    mqd_t mqreq, mqrsp;

    if (fork() != 0)
        return;

    close(ipc_server.pipefd[0]);

    mqreq = mq_open(conn->req_name, O_RDONLY);
    mqrsp = mq_open(conn->resp_name, O_WRONLY);

    snprintf(hello, sizeof hello, "hello %ld", (long)getpid());
    respond(mqrsp, hello);

    for (;;) {
        ssize_t sz = mq_receive(mqreq, req, MESSAGE_MAX, NULL);

        if (sz < 0) {
            log_warning("request is NOT valid\n");
            break;
        }
        if (handle_request(req, sz, conn, mqrsp) == -1)
            break;
    }

    mq_close(mqreq);
    mq_close(mqrsp);
    close(ipc_server.pipefd[1]);

    log_info("handle_connection process [%d] exit\n", getpid());
    exit(0);
}

static int server_init(const char *prefix)
{
    struct sigaction sa;

    memset(&ipc_server, 0, sizeof(ipc_server));
    snprintf(ipc_server.shm_name, NAME_SIZE, "%s", prefix);
    snprintf(ipc_server.ready_name, NAME_SIZE, "%s-ready", prefix);
    snprintf(ipc_server.conn_name, NAME_SIZE, "%s-conn", prefix);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* shared memory init */
    ipc_server.conn_buf_fd = shm_open(ipc_server.shm_name, O_CREAT | O_RDWR, S_IRUSR | S_IWUSR);
    if (ipc_server.conn_buf_fd < 0) {
        log_warning("shm_open: %s\n", strerror(errno));
        return -1;
    }
    if (ftruncate(ipc_server.conn_buf_fd, sizeof(struct conn_area)) < 0) {
        log_warning("ftruncate: %s\n", strerror(errno));
        return -1;
    }
    ipc_server.conn_buf = mmap(NULL, sizeof(struct conn_area), PROT_READ | PROT_WRITE, MAP_SHARED,
                               ipc_server.conn_buf_fd, 0);
    if (ipc_server.conn_buf == MAP_FAILED) {
        log_warning("mmap: %s\n", strerror(errno));
        return -1;
    }
    memset(ipc_server.conn_buf, 0, sizeof(struct conn_area));

    ipc_server.conn_buf_ready = sem_open(ipc_server.ready_name, O_CREAT | O_RDWR, S_IRUSR | S_IWUSR, 0);
    if (ipc_server.conn_buf_ready == SEM_FAILED) {
        log_warning("sem_open %s: %s\n", ipc_server.ready_name, strerror(errno));
        return -1;
    }
    ipc_server.conn_new_ready = sem_open(ipc_server.conn_name, O_CREAT | O_RDWR, S_IRUSR | S_IWUSR, 0);
    if (ipc_server.conn_new_ready == SEM_FAILED) {
        log_warning("sem_open %s: %s\n", ipc_server.conn_name, strerror(errno));
        return -1;
    }

    /* pipe init */
    if (pipe2(ipc_server.pipefd, O_NONBLOCK)) {
        log_warning("pipe2: %s\n", strerror(errno));
        return -1;
    }

    fprintf(stderr, "posix_server: ready: shared memory %s, semaphores %s and %s\n",
            ipc_server.shm_name, ipc_server.ready_name, ipc_server.conn_name);
    log_info("server init done\n");
    return 0;
}

static void server_start(void)
{
    struct conn_area conn;
    int stop = 0;

    if (sem_post(ipc_server.conn_buf_ready)) {
        log_warning("sem_post: %s\n", strerror(errno));
        return;
    }
    log_info("server running...\n");

    while (!stop) {
        /* handle new connection */
        sem_wait(ipc_server.conn_new_ready);
        if (stop_signal) {
            fprintf(stderr, "posix_server: %s received: stopping\n",
                    stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
            break;
        }
        if (read(ipc_server.pipefd[0], &stop, sizeof(int)) <= 0)
            stop = 0;
        else
            fprintf(stderr, "posix_server: kill_server received: stopping\n");

        if (ipc_server.conn_buf->client_pid != 0) {     /* the note's "valid" */
            log_info("new connection established\n");
            memcpy(&conn, ipc_server.conn_buf, sizeof(conn));
            handle_connection(&conn);
            memset(ipc_server.conn_buf, 0, sizeof(struct conn_area));
            sem_post(ipc_server.conn_buf_ready);
        }
    }
}

static void server_shutdown(void)
{
    close(ipc_server.conn_buf_fd);
    munmap(ipc_server.conn_buf, sizeof(struct conn_area));
    shm_unlink(ipc_server.shm_name);

    sem_close(ipc_server.conn_buf_ready);
    sem_unlink(ipc_server.ready_name);

    sem_close(ipc_server.conn_new_ready);
    sem_unlink(ipc_server.conn_name);

    close(ipc_server.pipefd[0]);
    close(ipc_server.pipefd[1]);

    log_info("server_shutdown\n");
}

int main(int argc, char *argv[])
{
    const char *prefix = parse_args(argc, argv);

    if (server_init(prefix)) {
        log_warning("server_init failed\n");
        return -1;
    }
    server_start();
    server_shutdown();
    return 0;
}
