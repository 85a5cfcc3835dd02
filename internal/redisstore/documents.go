package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Records are stored as JSON documents, in string keys or hash fields. These read them.

// decodeDoc decodes a stored JSON document; what names its kind in the error.
func decodeDoc[T any](doc []byte, what string) (T, error) {
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("redisstore: decode %s: %w", what, err)
	}
	return v, nil
}

// readDoc decodes the document a GET or HGET answered; ErrNotFound when there is none.
func readDoc[T any](cmd *redis.StringCmd, what string) (*T, error) {
	doc, err := cmd.Bytes()
	if err != nil {
		return nil, mapErr(err)
	}
	v, err := decodeDoc[T](doc, what)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// readDocs reads the documents under keys (one MGET, so the keys must share a slot),
// skipping keys that hold none. It returns an empty, non-nil list when there are none.
func readDocs[T any](ctx context.Context, rdb redis.UniversalClient, keys []string, what string) ([]T, error) {
	if len(keys) == 0 {
		return []T{}, nil
	}
	docs, err := rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	return decodeFound(docs, func(doc string) (T, error) { return decodeDoc[T]([]byte(doc), what) })
}

// decodeFound decodes the values an MGET or HMGET answered, skipping the missing ones; the
// list is empty, not nil, when none is there.
func decodeFound[T any](docs []any, decode func(string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(docs))
	for _, d := range docs {
		doc, ok := d.(string)
		if !ok {
			continue
		}
		v, err := decode(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// oldestFirst sorts records by creation time, then by id, as the account and charter
// lists are ordered.
func oldestFirst[T any](list []T, key func(T) (created time.Time, id string)) {
	slices.SortFunc(list, func(a, b T) int {
		ta, ia := key(a)
		tb, ib := key(b)
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return cmp.Compare(ia, ib)
	})
}
