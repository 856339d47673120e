export interface Config {
  /** Archipelago's environments backend. */
  environments?: {
    /**
     * Clusters environments can run on, in the shape of Backstage's kubernetes cluster config.
     * When left out, the clusters of `kubernetes.clusterLocatorMethods` entries of type
     * `config` are used, so a cluster is configured once.
     */
    clusters?: Array<{
      name: string;
      url: string;
      /** Only `serviceAccount` is supported. */
      authProvider?: 'serviceAccount';
      /** @visibility secret */
      serviceAccountToken: string;
      /** Base64 PEM of the API server's CA. */
      caData?: string;
      skipTLSVerify?: boolean;
      /** What an environment spec may reach on this cluster (see docs/security.md). */
      policy?: {
        /**
         * Image reference prefixes an image must start with, e.g. "registry.studio.local/".
         * Left out: any registry.
         */
        allowedRegistries?: string[];
        /** nodeSelector keys a service may use. Left out: any key. */
        allowedNodeSelectorKeys?: string[];
        /**
         * Linux capabilities a service definition may add (all others are dropped), e.g.
         * NET_ADMIN and SYS_TIME for seed 002's islands. Default: none.
         */
        allowedCapabilities?: string[];
        /**
         * Ingress hosts must end with this suffix, e.g. ".dev.studio.local". Left out: any
         * host. A host is always one environment's: another live environment's host is refused.
         */
        ingressHostSuffix?: string;
        /** CIDRs pods may reach besides their environment, its bases and DNS. Default: none. */
        egressCidrs?: string[];
      };
      /**
       * Game-server islands (docs/islands.md). Without this the cluster takes no island
       * service. Each island gets one block of host ports from `ports`.
       */
      islands?: {
        /** The island port range, e.g. "7000-7999"; at least 16 ports. */
        ports: string;
        /**
         * The cluster's NodePort range (kube-apiserver --service-node-port-range), which the
         * island range must not overlap. Default "30000-32767".
         */
        nodePortRange?: string;
        /** The first island id. Default 1. */
        firstId?: number;
      };
      /**
       * How the versions of a service are routed (docs/releases.md). Default type gateway.
       */
      routing?: {
        /**
         * gateway: an HTTPRoute (Gateway API) per routed service, with a rule per Version
         * header and weights; ingress-nginx: Ingresses with its canary annotations; none.
         */
        type?: 'gateway' | 'ingress-nginx' | 'none';
        /** The Gateway that routes of services with an ingress host attach to. */
        gateway?: { name: string; namespace: string; sectionName?: string };
      };
      /**
       * Requests this backend sends the cluster's API server at once, watches and log
       * streams aside (docs/performance.md). A burst of operations queues behind it. 1 to
       * 1000; default 16.
       */
      maxRequestsInFlight?: number;
    }>;
    /** The cluster used when a spec names none. Defaults to the first cluster. */
    defaultCluster?: string;
    /** Prefix of environment namespaces (at most 20 characters). Default "env-". */
    namespacePrefix?: string;
    /** Cluster DNS domain. Default "cluster.local". */
    clusterDomain?: string;
    ingress?: {
      /** Namespace of the ingress controller, allowed through each environment's NetworkPolicy. */
      namespace?: string;
      className?: string;
    };
    /** How long an operation waits for workloads to be ready, e.g. "15m" (seed 000's budget). */
    readinessTimeout?: string;
    /** Sizing and lifetime per purpose (feature, integration, perf, sandbox). */
    purposes?: {
      [purpose: string]: {
        /** Lifetime when the spec gives none, e.g. "3d". Leave out for no expiry. */
        defaultTtl?: string;
        /** Longest allowed lifetime, including extensions. */
        maxTtl?: string;
        /**
         * How long before its expiry the owner is warned, with a link to extend it, e.g. "2h".
         * Default "1h"; "0m" warns never.
         */
        expiryWarning?: string;
        /**
         * After this long unused (no operation asked by a person, no log read, no keystroke in
         * a terminal), the environment is stopped and marked asleep; a start wakes it, with its
         * volumes and config as they were. "0m" never. Defaults: feature "4h", sandbox "2h",
         * perf and integration never.
         */
        sleepAfter?: string;
        /**
         * The purpose's alert rules (docs/configuration.md#alerts); an environment may
         * override each through PUT /environments/{name}/alerts. "off" turns a rule off.
         */
        alerts?: {
          /** Degraded or Failed this long (default "5m"). */
          degradedFor?: string;
          /** A container crash-looping this long (default "2m"). */
          crashLoop?: string;
          /** An island that should run not Ready this long (default "2m"). */
          islandDown?: string;
          /** "on" (default) or "off": once per failed operation. */
          operationFailed?: string;
          /** Warn this long before the expiry (default: expiryWarning). */
          expiringWithin?: string;
        };
        quota?: {
          cpu?: string;
          memory?: string;
          pods?: number;
          storage?: string;
          claims?: number;
        };
        defaultRequests?: { cpu?: string; memory?: string };
        defaultLimits?: { cpu?: string; memory?: string };
        /**
         * Pod Security admission levels of the purpose's namespaces: privileged, baseline or
         * restricted. Default: enforce baseline, warn restricted.
         */
        podSecurity?: { enforce?: string; warn?: string };
      };
    };
    queue?: {
      /** Operations that run at once per cluster. Default 2. */
      concurrencyPerCluster?: number;
      /** How often an idle worker looks for work, e.g. "1s". */
      pollInterval?: string;
      /**
       * Lease of a running operation, in seconds: a dead worker's operation is taken over
       * after it. A whole number from 10 to 3600. Default 60.
       */
      leaseSeconds?: number;
      /** Attempts for transient API errors before an operation fails, 1 to 100. Default 5. */
      maxAttempts?: number;
    };
    reconcile?: {
      /**
       * How often every environment is compared with what its cluster holds, besides each
       * watch event, e.g. "30s", "5m" (default) or "1h". Drift is repaired by a recorded
       * `repair` operation.
       */
      resyncInterval?: string;
    };
    /** Alerts: chat channels and the check task (docs/configuration.md#alerts). */
    alerts?: {
      /** How often the rules are evaluated, e.g. "30s" (default) or "2m". */
      checkInterval?: string;
      /** Tries per message and channel before it is given up (default 3). */
      deliveryAttempts?: number;
      channels?: Array<{
        name: string;
        type: 'dingtalk' | 'feishu' | 'wecom' | 'slack';
        /** @visibility secret */
        url: string;
        /**
         * DingTalk's and Feishu's signing secret.
         * @visibility secret
         */
        secret?: string;
        /** Environments that chose no channels send here. Default false. */
        default?: boolean;
      }>;
    };
    /** How often, in seconds, the TTL task looks for expired environments. Default 30. */
    expiryCheckSeconds?: number;
    retention?: {
      /**
       * How long the revisions of a destroyed environment are kept, e.g. "30d" (default),
       * from "1h" to "3650d". Its secret values go at destroy.
       */
      destroyedRevisions?: string;
    };
    /** Bounds on what one owner or user holds at once (see docs/security.md). */
    limits?: {
      /** Live environments per owner. Default 20. */
      environmentsPerOwner?: number;
      /** Operations queued (pending) at once on an owner's environments. Default 50. */
      queuedOperationsPerOwner?: number;
      /** Followed logs open at once per user, per backend replica. Default 5. */
      logFollowsPerUser?: number;
      /** How long a followed log stays open, e.g. "1h" (default); then the stream ends, and the portal says the log ends there. */
      logFollowDuration?: string;
      /** How far back sinceSeconds and sinceTime may reach, e.g. "7d" (default). */
      logSince?: string;
    };
    /** The web terminal: a shell in a pod's container from the portal (docs/portal.md#terminal). */
    terminal?: {
      /** A terminal without a keystroke for this long is closed, e.g. "15m" (default); from 10s to 24h. */
      idleTimeout?: string;
      /** A terminal is closed after this long whatever happens in it, e.g. "8h" (default); from 1m to 7d. */
      maxDuration?: string;
      /** Terminals open at once per user, per backend replica. Default 3. */
      sessionsPerUser?: number;
      /** What runs in the container: a command and its arguments. Default ["/bin/sh"]. */
      command?: string[];
    };
    registrars?: {
      /**
       * Failed deliveries of a registration event (to any registrar) after which it is
       * marked failed: shown with its last error in the registry view, no longer retried.
       * Retries back off from 1 s to 5 min, so the default, 20, gives up after about an
       * hour. A whole number from 1 to 1000.
       */
      maxAttempts?: number;
      /** The built-in webhook registrar: POSTs each registration event as JSON. */
      webhook?: {
        url: string;
        /** @visibility secret */
        token?: string;
      };
      /**
       * The built-in SQL registrar: writes each registered island (or every instance) as a row
       * of the studio's own table, and deletes it on deregister (docs/islands.md).
       */
      sql?: {
        /** mysql2 (MySQL, MariaDB), pg, or better-sqlite3. */
        client: string;
        /**
         * A connection string such as "mysql://user:pass@db:3306/studio", or knex's object.
         * @visibility secret
         */
        connection: string | { [key: string]: unknown };
        /** The table, e.g. island_servers (or schema.table). */
        table: string;
        /** The entry field whose column identifies a row: island (default) or instance. */
        key?: string;
        /** Which entries it writes: islands (default) or all. */
        entries?: string;
        /**
         * Column by entry field: island, environment, service, instance, version, address,
         * node, ready, ports (all of them as JSON), registeredAt, updatedAt.
         */
        columns: { [field: string]: string };
        /** Column by port name, e.g. server-port: port. */
        portColumns?: { [port: string]: string };
      };
    };
  };
}
