/*
 * callbacks.h - the layout of the callback registry, a POSIX shared memory
 * object that cb_server creates and cb_client opens, and the type of the
 * callbacks that the plugin library exports.
 *
 * Both programs and the plugin are compiled with this header, so they agree
 * on every offset. Nothing in the object is a pointer: a pointer into one
 * process's address space means nothing in another (README.md §1). Callbacks
 * are named, never addressed.
 */
#ifndef CALLBACKS_H
#define CALLBACKS_H

#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CB_DEFAULT_SHM  "/ipclab-callbacks"     /* §2: -n SHMNAME by default */
#define CB_MAGIC        0x69706362u             /* "ipcb": this is a registry */
#define CB_SLOTS        4                       /* §3: calls in progress at once */
#define CB_NAME_MAX     64                      /* callback name, NUL included */
#define CB_ARG_MAX      256                     /* argument, NUL included */
#define CB_RESULT_MAX   256                     /* result or error text, NUL included */
#define CB_PREFIX       "cb_"                   /* §5: NAME is exported as cb_NAME */

/*
 * §5: every callback of the plugin. It reads the NUL-terminated argument, writes
 * a NUL-terminated text of at most size bytes into result, and returns 0; or it
 * writes an error message there and returns -1.
 */
typedef int cb_func(const char *arg, char *result, size_t size);

/* §3: the life of a slot. Only the owner of a state moves the slot on. */
enum cb_slot_state {
    SLOT_FREE,          /* nobody's: a client may claim it (under the lock) */
    SLOT_REGISTERED,    /* a client filled in name and arg: waiting for the server */
    SLOT_RUNNING,       /* the server took it and runs the callback */
    SLOT_DONE           /* status and result are there: the client reads them */
};

/* §4: how a call ended, as the client learns it. */
enum cb_status {
    CALL_OK,            /* result holds the callback's result */
    CALL_UNKNOWN,       /* no such callback: result holds the error */
    CALL_FAILED,        /* the callback returned -1: result holds its message */
    CALL_STOPPED        /* the server stopped before running it */
};

struct cb_slot {
    int state;                  /* enum cb_slot_state */
    int status;                 /* enum cb_status, once DONE */
    pid_t client;               /* who registered the call */
    pid_t ran_in;               /* the pid of the process that ran it */
    sem_t done;                 /* posted by the server once DONE (process-shared) */
    char name[CB_NAME_MAX];
    char arg[CB_ARG_MAX];
    char result[CB_RESULT_MAX];
};

struct cb_registry {
    uint32_t magic;             /* CB_MAGIC once everything below is set up */
    pid_t server;               /* the server's pid */
    int stopping;               /* set (under the lock) when the server stops */
    sem_t lock;                 /* 1: guards every state change of every slot */
    sem_t free_slots;           /* counts the FREE slots */
    sem_t work;                 /* counts the REGISTERED slots (and wake-ups to stop) */
    struct cb_slot slots[CB_SLOTS];
};

#endif
