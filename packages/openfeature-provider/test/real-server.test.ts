import { flowlineBackend } from './flowline-backend.js';
import { serverProviderContract } from './server-contract.js';
import { webProviderContract } from './web-contract.js';

serverProviderContract('the real Flowline server', flowlineBackend);
webProviderContract('the real Flowline server', flowlineBackend);
