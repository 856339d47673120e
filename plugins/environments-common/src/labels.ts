/** Labels and annotations that mark what Archipelago owns. Ownership is never guessed. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'archipelago';
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const NAME_LABEL = 'app.kubernetes.io/name';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const VERSION_LABEL_K8S = 'app.kubernetes.io/version';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const ENVIRONMENT_LABEL = 'archipelago.dev/environment';
export const SERVICE_LABEL = 'archipelago.dev/service';
export const SERVER_TYPE_LABEL = 'archipelago.dev/server-type';
export const VERSION_LABEL = 'archipelago.dev/version';
export const REVISION_LABEL = 'archipelago.dev/revision';
export const FALLBACK_LABEL = 'archipelago.dev/fallback';
/**
 * The annotation on a namespace naming the id of the environment that made it. Destroy and
 * expiry delete a namespace only when it names the environment being destroyed.
 */
export const ENVIRONMENT_ID_ANNOTATION = 'archipelago.dev/environment-id';
export const OWNER_ANNOTATION = 'archipelago.dev/owner';
export const BASE_ANNOTATION = 'archipelago.dev/base';
/**
 * On a branch environment's namespace: the label holds the branch as its environment name
 * (environmentNameForBranch), the annotation of the same key the branch as given.
 */
export const BRANCH_LABEL = 'archipelago.dev/branch';
export const PURPOSE_LABEL = 'archipelago.dev/purpose';
export const STOPPED_REPLICAS_ANNOTATION =
  'archipelago.dev/replicas-when-started';
export const RESTARTED_AT_ANNOTATION = 'archipelago.dev/restarted-at';

/** The catalog annotation naming the environment a Resource entity stands for. */
export const ENVIRONMENT_ANNOTATION = 'archipelago.dev/environment';

/** The catalog annotation holding a component's service definition (YAML). */
export const SERVICE_DEFINITION_ANNOTATION =
  'archipelago.dev/service-definition';

/** The label selector for everything Archipelago manages in a cluster. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
