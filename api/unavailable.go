package api

import (
	"log"
	"net/http"

	"tierbase/platform/problem"
)

// retryAfterUnavailable is the Retry-After, in seconds, of an answer given while the
// database is out of reach.
const retryAfterUnavailable = "5"

// unavailable is the problem of a request that failed because the database could not be
// reached (store.Unavailable): a 503 the client may try again, rather than a 500. The node
// itself reconnects once the database answers again.
func unavailable(w http.ResponseWriter, err error) *problem.Error {
	log.Printf("database unreachable: %v", err)
	w.Header().Set("Retry-After", retryAfterUnavailable)
	return problem.New(http.StatusServiceUnavailable, "db_unavailable")
}

func init() {
	problem.AddMessage("db_unavailable", "数据库暂时无法连接，请稍后重试", "The database cannot be reached; try again shortly")
}
