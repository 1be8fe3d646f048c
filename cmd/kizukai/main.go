// Command kizukai is the whole of Kizukai in one binary: the server, the
// migrations, and the administrative commands. See `kizukai help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `kizukai — after-follow platform

Usage:
  kizukai serve   [--addr A] [--db URL] [--clock real|simulated] [--base-url URL] [--demo]
  kizukai migrate [--db URL]
  kizukai demo    [--db URL] [--seed N] [--base-url URL]
                                             create the demo shop with a year of orders
  kizukai shop create --slug S --name N [--timezone Asia/Tokyo] [--locale ja]
  kizukai apikey create --shop S [--name N]  prints only the key
  kizukai apikey list   --shop S
  kizukai apikey revoke --shop S --id KEY_ID
  kizukai user create --shop S --email E --role owner|marketer|support|viewer [--name N]
                                             reads the password from standard input
  kizukai version

--db is sqlite:PATH (default sqlite:kizukai.db) or a postgres:// URL.
Every flag has an environment variable: KIZUKAI_ADDR, KIZUKAI_DB, KIZUKAI_CLOCK,
KIZUKAI_BASE_URL; the secret key comes from KIZUKAI_SECRET_KEY(_FILE), the log
level from KIZUKAI_LOG_LEVEL, and KIZUKAI_ALLOW_LOOPBACK_PROVIDERS=true lets
channel settings point at a gateway on this host.
`

func errorf(stderr interface{ Write([]byte) (int, error) }, format string, args ...any) int {
	_, _ = fmt.Fprintf(stderr, "kizukai: "+format+"\n", args...)
	return 1
}
