import './app.css';
import { mount } from 'svelte';
import App from './routes/host/App.svelte';

mount(App, { target: document.getElementById('app') as HTMLElement });
