/*
 * posix_client.c - the client of note 003, its logic kept: it creates its
 * two queues, maps the connection area, waits on the "area is free"
 * semaphore, writes the area, posts the "new connection" semaphore, then
 * sends requests and reads responses, and at the end closes and removes its
 * queues.
 *
 * Its interface is the exercise's: -n PREFIX (and -t SECONDS, which the
 * note's logic never uses: it has no time limit), the queue names, the
 * greeting and the connected line, one request per line of standard input,
 * each response printed on stdout, the final disconnect.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_lab.h"

#define log_warning(...)    fprintf(stderr, "posix_client: " __VA_ARGS__)

static struct conn_area connection;
static mqd_t mqreq_fd, mqrsp_fd;
static const char *prefix = DEFAULT_PREFIX;

static void usage(const char *what)
{
    fprintf(stderr, "posix_client: %s\n", what);
    fprintf(stderr, "usage: posix_client [-n PREFIX] [-t SECONDS]\n");
    exit(2);
}

static void parse_args(int argc, char *argv[])
{
    size_t len;
    char *end;
    long seconds;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":n:t:")) != -1) {
        if (opt == 'n') {
            prefix = optarg;
        } else if (opt == 't') {
            seconds = strtol(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || seconds < 1 || seconds > 3600)
                usage("invalid SECONDS");
        } else if (opt == ':') {
            usage("option needs an argument");
        } else {
            usage("unknown option");
        }
    }
    if (optind < argc)
        usage("unexpected operand");
    len = strlen(prefix);
    if (len < 2 || len > PREFIX_MAX || prefix[0] != '/' || strchr(prefix + 1, '/') != NULL)
        usage("invalid PREFIX");
}

static int build_connection(void)
{
    struct mq_attr attr = { .mq_maxmsg = QUEUE_MAXMSG, .mq_msgsize = MESSAGE_MAX };
    char name[NAME_SIZE], hello[MESSAGE_MAX + 1];
    sem_t *conn_buf_ready, *conn_new_ready;
    void *conn_buf;
    pid_t pid = getpid();
    ssize_t sz;
    int fd;

    /* create and open 2 message queues */
    memset(&connection, 0, sizeof(connection));
    snprintf(connection.req_name, NAME_SIZE, "%s-%ld-req", prefix, (long)pid);
    snprintf(connection.resp_name, NAME_SIZE, "%s-%ld-resp", prefix, (long)pid);
    mqreq_fd = mq_open(connection.req_name, O_CREAT | O_RDWR, S_IRUSR | S_IWUSR, &attr);
    mqrsp_fd = mq_open(connection.resp_name, O_CREAT | O_RDWR, S_IRUSR | S_IWUSR, &attr);
    if (mqreq_fd == (mqd_t)-1 || mqrsp_fd == (mqd_t)-1) {
        log_warning("mq_open: %s\n", strerror(errno));
        return -1;
    }

    /* open and map shared memory */
    fd = shm_open(prefix, O_RDWR, 0);
    conn_buf = mmap(NULL, sizeof(struct conn_area), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    /* write the connection to conn_buf, tell the server a new one is coming */
    snprintf(name, sizeof name, "%s-ready", prefix);
    conn_buf_ready = sem_open(name, O_RDWR);
    snprintf(name, sizeof name, "%s-conn", prefix);
    conn_new_ready = sem_open(name, O_RDWR);
    if (conn_buf_ready == SEM_FAILED || conn_new_ready == SEM_FAILED) {
        snprintf(name, sizeof name, "%s-%s", prefix, conn_buf_ready == SEM_FAILED ? "ready" : "conn");
        log_warning("no server for %s: %s does not exist\n", prefix, name);
        return -1;
    }

    sem_wait(conn_buf_ready);
    connection.client_pid = pid;
    memcpy(conn_buf, &connection, sizeof(connection));
    sem_post(conn_new_ready);

    sem_close(conn_buf_ready);
    sem_close(conn_new_ready);

    /* the greeting */
    sz = mq_receive(mqrsp_fd, hello, MESSAGE_MAX, NULL);
    if (sz < 0) {
        log_warning("mq_receive: %s\n", strerror(errno));
        return -1;
    }
    hello[sz] = '\0';
    fprintf(stderr, "posix_client: connected (handler %s)\n", hello + 6);
    return 0;
}

/* One request, one response: 0, or -1 when a call failed. */
static int request(const char *text, size_t len, char *rsp)
{
    ssize_t sz;

    if (mq_send(mqreq_fd, text, len, 0)) {
        log_warning("mq_send: %s\n", strerror(errno));
        return -1;
    }
    sz = mq_receive(mqrsp_fd, rsp, MESSAGE_MAX, NULL);
    if (sz < 0) {
        log_warning("mq_receive: %s\n", strerror(errno));
        return -1;
    }
    rsp[sz] = '\0';
    return 0;
}

static int handle_command(void)
{
    char rsp[MESSAGE_MAX + 1];
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    long lineno = 0;
    int status = 0;

    while ((len = getline(&line, &size, stdin)) != -1) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len > MESSAGE_MAX) {
            log_warning("line %ld is too long (at most %d bytes): not sent\n", lineno, MESSAGE_MAX);
            status = 1;
            continue;
        }
        if (request(line, (size_t)len, rsp)) {
            status = 1;
            break;
        }
        printf("%s\n", rsp);
        fflush(stdout);
        if ((strcmp(line, "disconnect") == 0 || strcmp(line, "kill_server") == 0) &&
            strncmp(rsp, "ok", 2) == 0) {
            free(line);
            return status;
        }
    }
    free(line);
    if (status == 0 || len == -1) {
        if (request("disconnect", strlen("disconnect"), rsp))
            return 1;
    }
    return status;
}

static void cleanup(void)
{
    mq_close(mqreq_fd);
    mq_close(mqrsp_fd);

    mq_unlink(connection.req_name);
    mq_unlink(connection.resp_name);
}

int main(int argc, char *argv[])
{
    int status;

    parse_args(argc, argv);
    if (build_connection()) {
        log_warning("build_connection failed\n");
        return -1;
    }
    status = handle_command();
    cleanup();
    return status;
}
