//

export * from '../models/ApplyEnvironment200Response.model';
export * from '../models/ApplyEnvironment202Response.model';
export * from '../models/ClusterState.model';
export * from '../models/ClusterStateServiceIPs.model';
export * from '../models/CreateEnvironment202Response.model';
export * from '../models/EnvironmentSpec.model';
export * from '../models/EnvironmentSpecServicesInner.model';
export * from '../models/ErrorError.model';
export * from '../models/ErrorRequest.model';
export * from '../models/ErrorResponse.model';
export * from '../models/GetRegistry200Response.model';
export * from '../models/GetRegistry200ResponseRegistrarsValue.model';
export * from '../models/Health200Response.model';
export * from '../models/ListClusters200Response.model';
export * from '../models/ListEnvironments200Response.model';
export * from '../models/ListEnvironments400Response.model';
export * from '../models/ListEnvironments400ResponseAllOfErrorsInner.model';
export * from '../models/ListEvents200Response.model';
export * from '../models/ListIslands200Response.model';
export * from '../models/ListOperations200Response.model';
export * from '../models/ListPods200Response.model';
export * from '../models/ListRevisions200Response.model';
export * from '../models/ModelError.model';
export * from '../models/OperationRequest.model';
export * from '../models/Phase.model';
export * from '../models/Purpose.model';
