# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Mirrors AUTH_ARGSPEC in plugins/module_utils/_auth.py; a unit test keeps the two equal.
    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - Where the credentials come from. The choices, their meaning and the C(auto) order are those of
        M(azure.azcollection.azure_rm_resource) and the rest of azure.azcollection.
      - C(auto) uses module parameters (when O(profile), O(client_id) or O(ad_user) is set), then the
        environment (E(AZURE_PROFILE), or E(AZURE_CLIENT_ID) / E(AZURE_AD_USER) and their companions),
        then the C([default]) profile of C(~/.azure/credentials), then the Azure CLI.
      - C(env) uses only the environment variables listed for each option.
      - C(credential_file) uses the profile O(profile) (or E(AZURE_PROFILE), or C(default)) of C(~/.azure/credentials).
      - C(cli) uses the Azure CLI's signed-in account (C(az login)); the subscription is O(subscription_id),
        E(AZURE_SUBSCRIPTION_ID), or the CLI's current one.
      - C(msi) uses the managed identity of the host running the module (O(client_id) picks a user-assigned one);
        the subscription is O(subscription_id), E(AZURE_SUBSCRIPTION_ID), or the first one the identity can see.
      - Can also be set with the E(ANSIBLE_AZURE_AUTH_SOURCE) environment variable.
    type: str
    default: auto
    choices: [auto, cli, credential_file, env, msi]
  profile:
    description:
      - A profile (section) of C(~/.azure/credentials), an INI file with C(subscription_id), C(client_id),
        C(secret), C(tenant) (or C(ad_user), C(password)) and optionally C(cloud_environment).
      - Can also be set with E(AZURE_PROFILE).
    type: str
  subscription_id:
    description:
      - The subscription to work in. Wins over the subscription of any credential source.
      - Can also be set with E(AZURE_SUBSCRIPTION_ID).
    type: str
  client_id:
    description:
      - The application (client) id of a service principal, or of a user-assigned managed identity with O(auth_source=msi).
      - Can also be set with E(AZURE_CLIENT_ID).
    type: str
  secret:
    description:
      - The service principal's client secret. Never logged or returned.
      - Can also be set with E(AZURE_SECRET).
    type: str
  tenant:
    description:
      - The Entra ID tenant of the service principal.
      - Can also be set with E(AZURE_TENANT).
    type: str
  ad_user:
    description:
      - An Entra ID user name, to sign in as a user with O(password) (no multi-factor authentication).
      - Can also be set with E(AZURE_AD_USER).
    type: str
  password:
    description:
      - The password of O(ad_user). Never logged or returned.
      - Can also be set with E(AZURE_PASSWORD).
    type: str
  x509_certificate_path:
    description:
      - A PEM file with the service principal's certificate and private key, instead of O(secret).
      - Can also be set with E(AZURE_X509_CERTIFICATE_PATH).
    type: path
  thumbprint:
    description:
      - The certificate's thumbprint. Accepted for azure.azcollection compatibility; azure-identity reads the
        certificate from O(x509_certificate_path) alone.
      - Can also be set with E(AZURE_THUMBPRINT).
    type: str
  cloud_environment:
    description:
      - The Azure cloud. C(AzureCloud) (public), C(AzureUSGovernment) or C(AzureChinaCloud); it selects the
        Entra ID authority, the Resource Manager endpoint and the Key Vault DNS suffix.
      - Can also be set with E(AZURE_CLOUD_ENVIRONMENT) or in the credentials profile.
    type: str
    default: AzureCloud
  adfs_authority_url:
    description:
      - An authority to sign in with instead of the cloud's Entra ID endpoint (ADFS).
      - Can also be set with E(AZURE_ADFS_AUTHORITY_URL).
    type: str
  cert_validation_mode:
    description:
      - Accepted for azure.azcollection compatibility. Only C(validate) works; C(ignore) is refused, because
        certificates are never left unchecked. Behind a TLS-inspecting proxy, trust its CA with E(REQUESTS_CA_BUNDLE).
      - Can also be set with E(AZURE_CERT_VALIDATION_MODE).
    type: str
    choices: [ignore, validate]
  disable_instance_discovery:
    description:
      - Skip Entra ID instance discovery (for disconnected or private clouds).
      - Can also be set with E(AZURE_DISABLE_INSTANCE_DISCOVERY).
    type: bool
    default: false
  api_profile:
    description:
      - Accepted for azure.azcollection compatibility; only C(latest) is supported.
    type: str
    default: latest
  token_cache:
    description:
      - Share access tokens, Entra ID's discovery answers and Key Vault challenges between the tasks of one run,
        so that only the first task that needs a token signs in (one sign-in per audience and credential per run,
        instead of one per task).
      - The cache lives in O(token_cache_dir), which the collection sets to ansible-playbook's own temporary
        directory for the run (mode 0700, removed when ansible-playbook ends) when the module runs on the
        controller as the controller's user; elsewhere nothing is cached.
      - It holds access tokens until they expire (about an hour), never a client secret, password or refresh
        token. Anyone who can read the controller user's files could use them meanwhile - as they could read
        the credentials themselves, and the tokens and secrets the Azure CLI keeps in plain text in
        C(~/.azure) on Linux. Set V(false) to sign in in every task.
      - Can also be set with E(AZURE_CMK_TOKEN_CACHE) (for example V(false) for a whole AWX job template, through
        a custom credential type's environment).
    type: bool
    default: true
  token_cache_dir:
    description:
      - The directory of the run's token cache. Set by the collection's action plugin to the run's own temporary
        directory; leave it unset.
      - If you set it, it must be a directory of the user that runs the module that no one else may use
        (mode 0700), or the task fails. Its tokens stay there until they expire, not only for the run.
    type: path
requirements:
  - python >= 3.10
  - azure-identity, and the Azure SDK packages each module names (pinned in the collection's requirements.txt)
notes:
  - The modules reach Azure through the standard proxy variables (E(HTTPS_PROXY)) and trust the CA bundle in
    E(REQUESTS_CA_BUNDLE) when set.
  - Throttling (429) and transient errors (5xx) are retried with back-off, honouring Retry-After.
seealso:
  - name: Azure credentials in AWX / Automation Controller
    description: The "Microsoft Azure Resource Manager" credential type sets the AZURE_* variables these options read.
    link: https://docs.ansible.com/automation-controller/latest/html/userguide/credentials.html#microsoft-azure-resource-manager
"""
