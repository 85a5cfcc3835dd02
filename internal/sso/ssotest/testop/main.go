// Command testop runs the test OpenID provider of package ssotest for the browser tests
// (frontend/e2e/sso.test.mjs): it prints {"issuer","client_id","client_secret"} on one line
// and serves until it is stopped (SIGTERM, SIGINT, or standard input closing). Never for
// production: its users and secrets are fixed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"pejl/internal/sso/ssotest"
)

func main() {
	redirect := flag.String("redirect", "", "the one redirect URL of the client (Pejl's callback)")
	flag.Parse()
	if *redirect == "" {
		fmt.Fprintln(os.Stderr, "testop: give -redirect http://127.0.0.1:<port>/api/v1/auth/oidc/callback")
		os.Exit(2)
	}
	p, err := ssotest.Start(*redirect,
		ssotest.User{Subject: "sub-mette", Username: "mette", Password: "mette-pw", Email: "mette@kommune.test", EmailVerified: true,
			Name: "Mette Hansen", Roles: []string{"Pejl.Admin"}},
		ssotest.User{Subject: "sub-eve", Username: "eve", Password: "eve-pw", Email: "eve@elsewhere.test", EmailVerified: true, Name: "Eve"},
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testop:", err)
		os.Exit(1)
	}
	defer p.Close()
	_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"issuer": p.Issuer, "client_id": p.ClientID, "client_secret": p.ClientSecret})
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-done:
	}
}
