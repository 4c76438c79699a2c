#!/usr/bin/env python3
"""Start moto_server on 127.0.0.1 with IAM authentication on, seed a fixture
account into it, print endpoint and credentials, stop by itself.

    tests/moto/launch.py --account fixtures/accounts/demo.json \
        [--lifetime 300] [--parent-pid PID] [--idmap PATH] [--port 0]

Prints (flushed, shell-evalable), once seeding is done:

    SG_ENDPOINT=http://127.0.0.1:PORT
    AWS_ACCESS_KEY_ID=...            the audit user's keys (read-only EC2 policy)
    AWS_SECRET_ACCESS_KEY=...
    SG_ACCOUNT_ID=...
    SG_IDMAP=/path/idmap.json        fixture id -> moto id, and what could not be seeded
    SG_PID=...                       this launcher (SIGTERM stops moto too)
    SG_MOTO_START_MS=... SG_SEED_MS=...
    SG_READY=1

IAM authentication: moto_server runs with INITIAL_NO_AUTH_ACTION_COUNT=3.
The first three requests (create the seeder user, give it an admin policy,
create its key) are the only unauthenticated ones; everything after that,
seeding included, is signed and checked by moto.

Details and the id-mapping rules: docs/endpoints.md.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

NO_AUTH = 3
SEEDER_POLICY = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
AUDIT_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["ec2:Describe*", "ec2:GetManagedPrefixListEntries", "sts:GetCallerIdentity"],
    "Resource": "*"}]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            # /moto-api/data.json is served by moto itself and needs no auth.
            with urllib.request.urlopen(url + "/moto-api/data.json", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def _norm(perms):
    """Permissions as a comparable set of one-source rules."""
    out = set()
    for p in perms:
        base = (str(p["IpProtocol"]), p.get("FromPort"), p.get("ToPort"))
        for k, f in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6"),
                     ("PrefixListIds", "PrefixListId"), ("UserIdGroupPairs", "GroupId")):
            for x in p.get(k, []):
                out.add(base + (k, x.get(f), x.get("Description")))
    return out


class Seeder:
    def __init__(self, url, acct):
        import boto3
        self.boto3 = boto3
        self.url = url
        self.acct = acct
        self.ids = {acct["AccountId"]: acct["AccountId"]}
        self.unseedable = []
        self.counts = {"vpcs": 0, "groups": 0, "rules": 0, "prefix_lists": 0, "enis": 0,
                       "peerings": 0}
        self.keys = None

    def client(self, svc, region, keys=None):
        k = keys or self.keys
        return self.boto3.session.Session().client(
            svc, region_name=region, endpoint_url=self.url,
            aws_access_key_id=k[0], aws_secret_access_key=k[1])

    def bootstrap(self):
        """The only unauthenticated calls (INITIAL_NO_AUTH_ACTION_COUNT=3)."""
        anon = ("AKIAANONYMOUSSEEDER0", "anonymous")
        iam = self.client("iam", "us-east-1", anon)
        iam.create_user(UserName="sg-seeder")
        iam.put_user_policy(UserName="sg-seeder", PolicyName="admin",
                            PolicyDocument=json.dumps(SEEDER_POLICY))
        k = iam.create_access_key(UserName="sg-seeder")["AccessKey"]
        self.keys = (k["AccessKeyId"], k["SecretAccessKey"])
        # IAM keys are eventually visible; moto is immediate, but be sure.
        self.client("sts", "us-east-1").get_caller_identity()

    def audit_user(self):
        iam = self.client("iam", "us-east-1")
        name = self.acct.get("CallerArn", "user/sg-audit").rsplit("/", 1)[-1]
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="sg-audit-read-only",
                            PolicyDocument=json.dumps(AUDIT_POLICY))
        k = iam.create_access_key(UserName=name)["AccessKey"]
        return k["AccessKeyId"], k["SecretAccessKey"]

    def tr(self, kind, value):
        if value is None:
            return None
        return self.ids.get(value)

    def seed(self):
        for r in self.acct["Regions"]:
            if r.get("OptInStatus") == "not-opted-in":
                continue
            self.seed_region(r)

    def seed_region(self, r):
        region = r["RegionName"]
        ec2 = self.client("ec2", region)
        # VPCs: the fixture's default VPC is moto's default VPC.
        moto_default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])
        moto_default = moto_default["Vpcs"][0]["VpcId"]
        for v in r.get("Vpcs", []):
            if v.get("IsDefault"):
                mid = moto_default
                subs = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [mid]}])
                for s in v.get("Subnets", []):
                    self.ids[s["SubnetId"]] = subs["Subnets"][0]["SubnetId"]
            else:
                mid = ec2.create_vpc(CidrBlock=v["CidrBlock"])["Vpc"]["VpcId"]
                for s in v.get("Subnets", []):
                    self.ids[s["SubnetId"]] = ec2.create_subnet(
                        VpcId=mid, CidrBlock=s["CidrBlock"],
                        AvailabilityZone=s.get("AvailabilityZone", region + "a"))[
                            "Subnet"]["SubnetId"]
            if v.get("Tags"):
                ec2.create_tags(Resources=[mid], Tags=v["Tags"])
            self.ids[v["VpcId"]] = mid
            self.counts["vpcs"] += 1
        for p in r.get("VpcPeeringConnections", []):
            req, acc = self.ids.get(p["RequesterVpcId"]), self.ids.get(p["AccepterVpcId"])
            if req and acc:
                pcx = ec2.create_vpc_peering_connection(VpcId=req, PeerVpcId=acc)
                self.ids[p["VpcPeeringConnectionId"]] = \
                    pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
                self.counts["peerings"] += 1
        for pl in r.get("ManagedPrefixLists", []):
            res = ec2.create_managed_prefix_list(
                PrefixListName=pl["PrefixListName"], MaxEntries=pl.get("MaxEntries", 5),
                AddressFamily=pl.get("AddressFamily", "IPv4"),
                Entries=[{k: v for k, v in e.items() if v is not None} for e in pl["Entries"]])
            self.ids[pl["PrefixListId"]] = res["PrefixList"]["PrefixListId"]
            self.counts["prefix_lists"] += 1
        # Groups: every VPC already has its "default" group in moto.
        for g in r["SecurityGroups"]:
            vpc = self.ids[g["VpcId"]]
            if g["GroupName"] == "default":
                got = ec2.describe_security_groups(Filters=[
                    {"Name": "vpc-id", "Values": [vpc]},
                    {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
                mid = got["GroupId"]
            else:
                mid = ec2.create_security_group(GroupName=g["GroupName"],
                                                Description=g["Description"],
                                                VpcId=vpc)["GroupId"]
            self.ids[g["GroupId"]] = mid
            if g.get("Tags"):
                ec2.create_tags(Resources=[mid], Tags=g["Tags"])
            self.counts["groups"] += 1
        # Rules, once every group exists: replace moto's stock rules where they
        # differ from the fixture's (one describe per region, not per group).
        mine = [self.ids[g["GroupId"]] for g in r["SecurityGroups"]]
        current = {}
        for page in ec2.get_paginator("describe_security_groups").paginate(
                Filters=[{"Name": "group-id", "Values": mine}]):
            for cg in page["SecurityGroups"]:
                current[cg["GroupId"]] = cg
        for g in r["SecurityGroups"]:
            mid = self.ids[g["GroupId"]]
            cur = current[mid]
            for direction, key in (("ingress", "IpPermissions"),
                                   ("egress", "IpPermissionsEgress")):
                perms = [self.tr_perm(region, g, direction, p) for p in g.get(key, [])]
                perms = [p for p in perms if p is not None]
                if _norm(cur.get(key, [])) == _norm(perms):
                    continue  # moto's stock rules already are the fixture's
                have = cur.get(key, [])
                if direction == "ingress":
                    if have:
                        ec2.revoke_security_group_ingress(GroupId=mid, IpPermissions=have)
                    if perms:
                        ec2.authorize_security_group_ingress(GroupId=mid, IpPermissions=perms)
                else:
                    if have:
                        ec2.revoke_security_group_egress(GroupId=mid, IpPermissions=have)
                    if perms:
                        ec2.authorize_security_group_egress(GroupId=mid, IpPermissions=perms)
        for e in r.get("NetworkInterfaces", []):
            res = ec2.create_network_interface(
                SubnetId=self.ids[e["SubnetId"]], Description=e.get("Description", ""),
                Groups=[self.ids[x] for x in e["Groups"]])
            self.ids[e["NetworkInterfaceId"]] = res["NetworkInterface"]["NetworkInterfaceId"]
            self.counts["enis"] += 1

    def tr_perm(self, region, g, direction, p):
        """Translate one IpPermission to moto ids; drop (and record) the group
        pairs moto cannot hold: references to groups outside the account or
        to groups that no longer exist."""
        q = {"IpProtocol": p["IpProtocol"]}
        for k in ("FromPort", "ToPort"):
            if k in p:
                q[k] = p[k]
        if "FromPort" not in p and str(p["IpProtocol"]) != "-1":
            # A protocol without ports (gre, esp, icmpv6 "all"): AWS takes -1/-1 as
            # "no ports"; moto 5.2.1 crashes on absent ports for anything but -1.
            q["FromPort"] = q["ToPort"] = -1
        q["IpRanges"] = [dict(x) for x in p.get("IpRanges", [])]
        q["Ipv6Ranges"] = [dict(x) for x in p.get("Ipv6Ranges", [])]
        q["PrefixListIds"] = []
        for x in p.get("PrefixListIds", []):
            y = dict(x)
            y["PrefixListId"] = self.ids[x["PrefixListId"]]
            q["PrefixListIds"].append(y)
        pairs = []
        for x in p.get("UserIdGroupPairs", []):
            gid = self.ids.get(x.get("GroupId"))
            if gid is None:
                why = ("cross-account reference (account %s)" % x.get("UserId")
                       if x.get("UserId") and x.get("UserId") != self.acct["AccountId"]
                       else "stale reference (group does not exist)")
                self.unseedable.append({"Region": region, "GroupId": g["GroupId"],
                                        "GroupName": g["GroupName"], "Direction": direction,
                                        "IpProtocol": p["IpProtocol"],
                                        "FromPort": p.get("FromPort"), "ToPort": p.get("ToPort"),
                                        "ReferencedGroupId": x.get("GroupId"), "Reason": why})
                continue
            y = {"GroupId": gid, "UserId": self.ids.get(x.get("UserId"), x.get("UserId"))}
            if x.get("Description"):
                y["Description"] = x["Description"]
            if x.get("VpcPeeringConnectionId") and x["VpcPeeringConnectionId"] in self.ids:
                y["VpcPeeringConnectionId"] = self.ids[x["VpcPeeringConnectionId"]]
            if x.get("VpcId") and x["VpcId"] in self.ids:
                y["VpcId"] = self.ids[x["VpcId"]]
            if x.get("PeeringStatus"):
                y["PeeringStatus"] = x["PeeringStatus"]
            pairs.append(y)
        q["UserIdGroupPairs"] = pairs
        if not (q["IpRanges"] or q["Ipv6Ranges"] or q["PrefixListIds"] or pairs):
            return None
        self.counts["rules"] += (len(q["IpRanges"]) + len(q["Ipv6Ranges"])
                                 + len(q["PrefixListIds"]) + len(pairs))
        return q


def main():
    ap = argparse.ArgumentParser(description="moto_server + fixture seeder")
    ap.add_argument("--account", required=True)
    ap.add_argument("--lifetime", type=float, default=300)
    ap.add_argument("--parent-pid", type=int, default=0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--idmap", help="where to write the id map (default: a temp file, "
                    "removed on exit)")
    ap.add_argument("--verbose", action="store_true", help="moto's log on stderr")
    a = ap.parse_args()
    with open(a.account, encoding="utf-8") as f:
        acct = json.load(f)
    moto_bin = shutil.which("moto_server")
    if not moto_bin:
        sys.stderr.write("launch.py: moto_server not found on PATH\n")
        return 2
    port = a.port or free_port()
    url = "http://127.0.0.1:%d" % port
    env = dict(os.environ)
    env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(NO_AUTH)
    env["MOTO_ACCOUNT_ID"] = acct["AccountId"]
    for k in list(env):
        if k.startswith("AWS_"):
            del env[k]
    # coreutils timeout bounds moto's life even if this launcher is SIGKILLed.
    cmd = ["timeout", "-k", "5", str(int(a.lifetime) + 30), moto_bin,
           "-H", "127.0.0.1", "-p", str(port)]
    t0 = time.monotonic()
    out = None if a.verbose else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    tmpdir = None
    stop = threading.Event()

    def cleanup():
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda s, f: stop.set())
    signal.signal(signal.SIGINT, lambda s, f: stop.set())
    signal.signal(signal.SIGHUP, lambda s, f: stop.set())
    try:
        if not wait_ready(url, proc, 60):
            sys.stderr.write("launch.py: moto_server did not start (rc=%s)\n" % proc.poll())
            return 1
        start_ms = (time.monotonic() - t0) * 1000
        t1 = time.monotonic()
        seeder = Seeder(url, acct)
        seeder.bootstrap()
        keys = seeder.audit_user()
        seeder.seed()
        seed_ms = (time.monotonic() - t1) * 1000
        path = a.idmap
        if not path:
            tmpdir = tempfile.mkdtemp(prefix="sg-moto-")
            path = os.path.join(tmpdir, "idmap.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump({"Account": acct["AccountId"], "Ids": seeder.ids,
                       "Unseedable": seeder.unseedable, "Counts": seeder.counts,
                       "MotoStartMs": round(start_ms), "SeedMs": round(seed_ms)}, f, indent=1)
        os.replace(path + ".tmp", path)
        sys.stdout.write("\n".join([
            "SG_ENDPOINT=" + url,
            "AWS_ACCESS_KEY_ID=" + keys[0],
            "AWS_SECRET_ACCESS_KEY=" + keys[1],
            "SG_ACCOUNT_ID=" + acct["AccountId"],
            "SG_IDMAP=" + os.path.abspath(path),
            "SG_PID=%d" % os.getpid(),
            "SG_MOTO_START_MS=%d" % start_ms,
            "SG_SEED_MS=%d" % seed_ms,
            "SG_READY=1"]) + "\n")
        sys.stdout.flush()
        deadline = time.monotonic() + a.lifetime
        while not stop.is_set() and time.monotonic() < deadline and proc.poll() is None:
            if a.parent_pid:
                try:
                    os.kill(a.parent_pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
            stop.wait(0.2)
        return 0
    except Exception as e:  # report, then clean up
        import traceback
        sys.stderr.write("launch.py: seeding failed: %s: %s\n%s" % (
            type(e).__name__, e, "".join(traceback.format_tb(e.__traceback__)[-3:])))
        return 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
