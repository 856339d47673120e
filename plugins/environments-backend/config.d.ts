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
        quota?: {
          cpu?: string;
          memory?: string;
          pods?: number;
          storage?: string;
          claims?: number;
        };
        defaultRequests?: { cpu?: string; memory?: string };
        defaultLimits?: { cpu?: string; memory?: string };
      };
    };
    queue?: {
      /** Operations that run at once per cluster. Default 2. */
      concurrencyPerCluster?: number;
      /** How often an idle worker looks for work, e.g. "1s". */
      pollInterval?: string;
      /** Lease of a running operation; a dead worker's operation is taken over after it. */
      leaseSeconds?: number;
      /** Attempts for transient API errors before an operation fails. Default 5. */
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
    /** How often, in seconds, the TTL task looks for expired environments. Default 30. */
    expiryCheckSeconds?: number;
    registrars?: {
      /** The built-in webhook registrar: POSTs each registration event as JSON. */
      webhook?: {
        url: string;
        /** @visibility secret */
        token?: string;
      };
    };
  };
}
