import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { installTestHook } from './testHook.ts';

const app = createApp(App);
app.use(createPinia());
app.mount('#app');
installTestHook();
