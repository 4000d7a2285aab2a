import { connectorContract } from '@attest/plugin-testing';
import { OpcUaSimulator } from '../src/simulator.ts';
import { opcUaHarness } from './harness.ts';

connectorContract('OPC UA', () => opcUaHarness(new OpcUaSimulator()));
