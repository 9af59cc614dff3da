/*
 * fixture.h: the one item every benchmark uses, so the micro figures, the
 * stub's GetItem answer and the floor route's reply all carry the same
 * bytes.  A user record of 20 attributes covering every plain JSON type:
 * strings, integers, decimals, booleans, null, a list, maps and a list of
 * maps.  It holds no '$', '\\' or '\'' so it can sit inside an nginx
 * `return 200 '...'` unchanged.
 */
#ifndef DYNAMO_FCGI_BENCH_FIXTURE_H
#define DYNAMO_FCGI_BENCH_FIXTURE_H

#define BENCH_TABLE "users"
#define BENCH_USER "alice"
#define BENCH_GETITEM_BODY                                                               \
    "{\"TableName\":\"users\",\"Key\":{\"username\":{\"S\":\"alice\"}}}"

/* 20 attributes, plain JSON (the form the app's PUT body and GET reply use). */
#define BENCH_ITEM_JSON                                                                  \
    "{\"username\":\"alice\",\"email\":\"alice@example.com\","                           \
    "\"name\":\"Alice Liddell\",\"age\":42,\"balance\":1234.56,"                         \
    "\"verified\":true,\"nickname\":null,"                                               \
    "\"created_at\":\"2024-03-01T12:00:00Z\",\"updated_at\":\"2024-06-01T08:30:00Z\","   \
    "\"login_count\":1287,\"tags\":[\"reader\",\"writer\",\"early-adopter\"],"           \
    "\"address\":{\"street\":\"1 Rabbit Hole\",\"city\":\"Oxford\","                     \
    "\"zip\":\"OX1 1AA\",\"country\":\"GB\"},"                                           \
    "\"phones\":[{\"kind\":\"home\",\"number\":\"+44 1865 000000\"},"                    \
    "{\"kind\":\"work\",\"number\":\"+44 1865 111111\"}],"                               \
    "\"locale\":\"en-GB\",\"timezone\":\"Europe/London\",\"plan\":\"pro\","              \
    "\"quota_bytes\":10737418240,\"last_ip\":\"192.0.2.17\","                            \
    "\"bio\":\"Curiouser and curiouser. Fell down a rabbit hole and never looked "       \
    "back.\","                                                                           \
    "\"settings\":{\"theme\":\"dark\",\"notifications\":true,\"digest\":\"weekly\"}}"

#endif /* DYNAMO_FCGI_BENCH_FIXTURE_H */
