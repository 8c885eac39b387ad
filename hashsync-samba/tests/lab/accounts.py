# Creates accounts and sets passwords in a Samba AD DC through Samba's own
# Python bindings (one process for many operations; samba-tool would start
# Python once per account). Reads a JSON object from stdin:
#   {"url": LDB URL, "smbconf": path, "ops": [ {...}, ... ]}
# ops: {"op": "user", "name", "password", "upn"?, "disabled"?, "must_change"?}
#      {"op": "computer", "name" (without $), "password"}
#      {"op": "setpassword", "name", "password"}
import json
import sys

import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

spec = json.load(sys.stdin)
lp = LoadParm()
lp.load(spec["smbconf"])
db = SamDB(url=spec["url"], session_info=system_session(), lp=lp)
base = db.domain_dn()


def by_name(name):
    return "(sAMAccountName=%s)" % ldb.binary_encode(name)


# One transaction for the lot: one commit (and fsync) instead of one per
# account, which makes creating thousands of accounts minutes faster.
db.transaction_start()
for op in spec["ops"]:
    kind = op["op"]
    if kind == "user":
        db.newuser(op["name"], op["password"],
                   force_password_change_at_next_login_req=op.get("must_change", False))
        if op.get("upn"):
            res = db.search(base, ldb.SCOPE_SUBTREE, by_name(op["name"]), ["dn"])
            m = ldb.Message(res[0].dn)
            m["userPrincipalName"] = ldb.MessageElement(op["upn"], ldb.FLAG_MOD_REPLACE,
                                                         "userPrincipalName")
            db.modify(m)
        if op.get("disabled"):
            db.disable_account(by_name(op["name"]))
    elif kind == "computer":
        db.newcomputer(op["name"])
        db.setpassword(by_name(op["name"] + "$"), op["password"])
    elif kind == "setpassword":
        db.setpassword(by_name(op["name"]), op["password"])
    else:
        raise SystemExit("unknown op %r" % kind)
db.transaction_commit()
print("ok %d" % len(spec["ops"]))
