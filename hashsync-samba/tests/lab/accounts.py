# Creates accounts and sets passwords in a Samba AD DC through Samba's own
# Python bindings (one process for many operations; samba-tool would start
# Python once per account). Reads a JSON object from stdin:
#   {"url": LDB URL, "smbconf": path, "ops": [ {...}, ... ]}
# ops: {"op": "user", "name", "password", "upn"?, "disabled"?, "must_change"?}
#      {"op": "computer", "name" (without $), "password"}
#      {"op": "setpassword", "name", "password"}
#      {"op": "expire", "name"}: pwdLastSet = 0 (must change at next logon)
#      {"op": "delete", "name"}
#      {"op": "grant", "name", "rights": ["get-changes", "get-changes-all"]}:
#          the replication rights on the domain, as control access ACEs
import json
import sys

import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.sd_utils import SDUtils
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
    elif kind == "expire":
        res = db.search(base, ldb.SCOPE_SUBTREE, by_name(op["name"]), ["dn"])
        m = ldb.Message(res[0].dn)
        m["pwdLastSet"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "pwdLastSet")
        db.modify(m)
    elif kind == "delete":
        res = db.search(base, ldb.SCOPE_SUBTREE, by_name(op["name"]), ["dn"])
        db.delete(res[0].dn)
    elif kind == "grant":
        res = db.search(base, ldb.SCOPE_SUBTREE, by_name(op["name"]), ["objectSid"])
        sid = str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))
        rights = {"get-changes": "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2",
                  "get-changes-all": "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2"}
        for right in op["rights"]:
            SDUtils(db).dacl_add_ace(base, "(OA;;CR;%s;;%s)" % (rights[right], sid))
    else:
        raise SystemExit("unknown op %r" % kind)
db.transaction_commit()
print("ok %d" % len(spec["ops"]))
