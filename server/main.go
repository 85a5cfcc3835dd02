// Command pejl serves Pejl: the REST API, live sessions over WebSockets and the web
// interface, on the embedded engine or on Redis.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pejl:", err)
		stop()
		os.Exit(1)
	}
}

// usage is printed for -h.
const usage = `pejl serves Pejl, the live dialogue platform for leadership charters.

Usage: pejl [-h]

Configuration comes from environment variables (see README.md): PEJL_ADDR, PEJL_PUBLIC_URL,
PEJL_DATA_DIR, PEJL_REDIS_URL, PEJL_ADMIN_EMAIL, PEJL_ADMIN_PASSWORD, PEJL_ALLOWED_ORIGINS,
PEJL_TRUSTED_PROXIES, PEJL_LOG_FORMAT, PEJL_LOG_LEVEL, PEJL_RETENTION.
`

func printUsage(w io.Writer) { fmt.Fprint(w, usage) }
